import { crc32 } from 'node:zlib';
import { Partitioners, type ICustomPartitioner } from 'kafkajs';

/**
 * librdkafka's default partitioner (`consistent_random`), which Python producers on confluent-kafka —
 * Open edX's event-bus-kafka among them — use: a keyed message goes to `crc32(keyBytes) % partitions`
 * (CRC-32 as zlib computes it, over the serialized key). So a key lands on the partition a librdkafka
 * producer would pick for the same bytes. A message that names its partition, and an unkeyed one, are
 * left to kafkajs's DefaultPartitioner.
 */
export const librdkafkaCompatiblePartitioner: ICustomPartitioner = () => {
  const fallback = Partitioners.DefaultPartitioner();
  return (args) => {
    const { key, partition } = args.message;
    if (key === null || key === undefined || (partition !== null && partition !== undefined))
      return fallback(args);
    const bytes = Buffer.isBuffer(key) ? key : Buffer.from(String(key), 'utf8');
    if (bytes.length === 0) return fallback(args);
    return crc32(bytes) % args.partitionMetadata.length;
  };
};
