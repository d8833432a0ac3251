import { Partitioners, type ICustomPartitioner } from 'kafkajs';

/** The seed and mixing constants of Kafka's murmur2 (the Java client's `Utils.murmur2`). */
const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/**
 * Kafka's murmur2 hash of `bytes`, as the Java client computes it: a signed 32-bit int, bit for bit
 * `org.apache.kafka.common.utils.Utils.murmur2`. Only 32-bit operations (Math.imul, shifts, xor), so
 * its cost is linear in the length. (kafkajs's own murmur2 multiplies BigInts it never truncates,
 * which grows the numbers with every block: 200 KB keys took about a minute.)
 */
export function murmur2(bytes: Uint8Array): number {
  const length = bytes.length;
  const blocksEnd = length - (length & 3);
  let h = (SEED ^ length) | 0;

  for (let i = 0; i < blocksEnd; i += 4) {
    // one little-endian 32-bit word
    let k = bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }

  // the 1 to 3 bytes past the last whole word, if any
  const tail = length & 3;
  if (tail > 0) {
    if (tail === 3) h ^= bytes[blocksEnd + 2] << 16;
    if (tail >= 2) h ^= bytes[blocksEnd + 1] << 8;
    h ^= bytes[blocksEnd];
    h = Math.imul(h, M);
  }

  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** The bytes Kafka receives for a message key: a Buffer as it is, anything else as UTF-8 text. */
function keyBytes(key: Buffer | string): Uint8Array {
  return Buffer.isBuffer(key) ? key : Buffer.from(String(key), 'utf8');
}

/**
 * The Java client's partitioner for keyed records: `toPositive(murmur2(keyBytes)) % numPartitions`
 * (toPositive clears the sign bit), so every key lands on the partition any other Kafka client
 * picks for it, in time linear in the key's length. A message that names its partition, and an
 * unkeyed one, are left to kafkajs's DefaultPartitioner (the named partition; round robin over
 * the partitions that have a leader).
 */
export const javaCompatiblePartitioner: ICustomPartitioner = () => {
  const fallback = Partitioners.DefaultPartitioner();
  return (args) => {
    const { key, partition } = args.message;
    if (key === null || key === undefined || (partition !== null && partition !== undefined)) return fallback(args);
    return (murmur2(keyBytes(key)) & 0x7fffffff) % args.partitionMetadata.length;
  };
};
