import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import kafkajs from 'kafkajs';
import { keyPartitioner } from '../src/key-partitioner.ts';

const { Partitioners } = kafkajs;

test('keyed messages land on the partition kafkajs DefaultPartitioner (the Java client) picks', () => {
  const ours = keyPartitioner();
  const reference = Partitioners.DefaultPartitioner();
  for (const partitions of [1, 6, 7, 64]) {
    const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({ partitionId, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0, offlineReplicas: [] }));
    for (let i = 0; i < 3_000; i++) {
      const bytes = randomBytes(i % 97);
      for (const key of [bytes, bytes.toString('hex'), `k${i}`, 'é€😀'.repeat(i % 5)]) {
        const args = { topic: 't', partitionMetadata, message: { key, value: 'v' } };
        assert.equal(ours(args), reference(args), `key ${String(key)} over ${partitions} partitions`);
      }
    }
  }
});

test('an explicit partition wins; unkeyed messages spread over partitions with a leader', () => {
  const pick = keyPartitioner();
  const partitionMetadata = [0, 1, 2].map((partitionId) => ({ partitionId, leader: partitionId === 1 ? -1 : 1, replicas: [1], isr: [1], partitionErrorCode: 0, offlineReplicas: [] }));
  assert.equal(pick({ topic: 't', partitionMetadata, message: { key: 'x', value: 'v', partition: 2 } }), 2);
  const seen = new Set<number>();
  for (let i = 0; i < 20; i++) seen.add(pick({ topic: 't', partitionMetadata, message: { value: 'v' } }));
  assert.deepEqual([...seen].sort(), [0, 2]);
});
