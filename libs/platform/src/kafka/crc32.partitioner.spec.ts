import { crc32 } from 'node:zlib';
import type { PartitionMetadata } from 'kafkajs';
import { librdkafkaCompatiblePartitioner } from './crc32.partitioner';

const partitions = (n: number): PartitionMetadata[] =>
  Array.from({ length: n }, (_, i) => ({
    partitionId: i,
    leader: 1,
    replicas: [1],
    isr: [1],
    partitionErrorCode: 0,
  }));

describe('librdkafkaCompatiblePartitioner', () => {
  it('is the CRC-32 of the key bytes modulo the partition count, as librdkafka consistent_random', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926); // the CRC-32 check value
    const p = librdkafkaCompatiblePartitioner();
    expect(
      p({ topic: 't', partitionMetadata: partitions(7), message: { key: '123456789', value: null } }),
    ).toBe(0xcbf43926 % 7);
    const key = Buffer.from([0, 0, 0, 0, 1, 0x30, 0x63]);
    expect(p({ topic: 't', partitionMetadata: partitions(3), message: { key, value: null } })).toBe(
      crc32(key) % 3,
    );
  });

  it('leaves a named partition alone', () => {
    const p = librdkafkaCompatiblePartitioner();
    expect(
      p({ topic: 't', partitionMetadata: partitions(3), message: { key: 'k', value: null, partition: 2 } }),
    ).toBe(2);
  });
});
