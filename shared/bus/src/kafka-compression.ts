import { constants, zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import kafkajs from 'kafkajs';

const { CompressionTypes, CompressionCodecs } = kafkajs;

/** How the producer compresses record batches. */
export type KafkaCompression = 'none' | 'gzip' | 'zstd';

// kafkajs ships only GZIP; Node's own zlib has had Zstandard since 23.8, so no native add-on is
// needed. Level 1: on this data (≈300-byte JSON envelopes) it keeps most of the ratio at a
// fraction of the CPU of the default level 3. Synchronous: a record batch takes microseconds,
// and kafkajs decodes a fetch's batches one after another, so the asynchronous calls made each
// wait for a thread and then for a turn of a busy event loop (measured in bench:correlator:
// publish to handler 45-63 ms at p50 with them, 26 ms uncompressed).
CompressionCodecs[CompressionTypes.ZSTD] = () => ({
  compress: (encoder: { buffer: Buffer }) => Promise.resolve(zstdCompressSync(encoder.buffer, { params: { [constants.ZSTD_c_compressionLevel]: 1 } })),
  decompress: (buffer: Buffer) => Promise.resolve(zstdDecompressSync(buffer)),
});

/** The kafkajs compression type of a setting. */
export function compressionType(compression: KafkaCompression): number {
  switch (compression) {
    case 'none':
      return CompressionTypes.None;
    case 'gzip':
      return CompressionTypes.GZIP;
    case 'zstd':
      return CompressionTypes.ZSTD;
  }
}
