import { promisify } from 'node:util';
import { constants, zstdCompress, zstdDecompress } from 'node:zlib';
import kafkajs from 'kafkajs';

const { CompressionTypes, CompressionCodecs } = kafkajs;

/** How the producer compresses record batches. */
export type KafkaCompression = 'none' | 'gzip' | 'zstd';

const compress = promisify(zstdCompress);
const decompress = promisify(zstdDecompress);

// kafkajs ships only GZIP; Node's own zlib has had Zstandard since 23.8, so no native add-on is
// needed. Level 1: on this data (≈300-byte JSON envelopes) it keeps most of the ratio at a
// fraction of the CPU of the default level 3.
CompressionCodecs[CompressionTypes.ZSTD] = () => ({
  compress: async (encoder: { buffer: Buffer }) => await compress(encoder.buffer, { params: { [constants.ZSTD_c_compressionLevel]: 1 } }),
  decompress: async (buffer: Buffer) => await decompress(buffer),
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
