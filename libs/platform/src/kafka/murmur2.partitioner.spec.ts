import { Partitioners, type PartitionerArgs, type PartitionMetadata } from 'kafkajs';
import { memoisedPartitioner } from './kafka-client';
import { javaCompatiblePartitioner, murmur2 } from './murmur2.partitioner';

const metadata = (n: number, leaderless: number[] = []): PartitionMetadata[] =>
  Array.from({ length: n }, (_, partitionId) => ({
    partitionId,
    leader: leaderless.includes(partitionId) ? -1 : 1,
    partitionErrorCode: 0,
    replicas: [1],
    isr: [1],
  }));

const args = (key: string | Buffer | null, partitions: number, partition?: number): PartitionerArgs => ({
  topic: 't',
  partitionMetadata: metadata(partitions),
  message: { key, value: 'v', ...(partition === undefined ? {} : { partition }) },
});

/** n characters 'a' + (i * 7) % 26 (the Java generator builds the same string). */
const letters = (n: number): string => Array.from({ length: n }, (_, i) => String.fromCharCode(97 + ((i * 7) % 26))).join('');
/** n bytes (i * 131 + 17) & 0xff (the Java generator builds the same bytes). */
const pattern = (n: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 131 + 17) & 0xff));

interface Vector {
  name: string;
  key: () => string | Buffer;
  /** Utils.murmur2(keyBytes), a signed 32-bit int. */
  murmur2: number;
  /** Utils.toPositive(Utils.murmur2(keyBytes)). */
  positive: number;
  /** toPositive(murmur2) % numPartitions for 1, 3, 12 and 50 partitions. */
  partitions: { 1: number; 3: number; 12: number; 50: number };
}

/**
 * Expected values printed by the real Java client: org.apache.kafka.common.utils.Utils.murmur2 and
 * Utils.toPositive of kafka-clients 3.9.2 (the jar of the Kafka 3.9.2 distribution), given the
 * UTF-8 bytes of each string key (String.getBytes(UTF_8)) or the raw bytes of each Buffer key.
 */
const VECTORS: Vector[] = [
  { name: "''", key: () => '', murmur2: 275646681, positive: 275646681, partitions: { 1: 0, 3: 0, 12: 9, 50: 31 } },
  { name: "'a'", key: () => 'a', murmur2: -1563381124, positive: 584102524, partitions: { 1: 0, 3: 1, 12: 4, 50: 24 } },
  { name: "'abc'", key: () => 'abc', murmur2: 479470107, positive: 479470107, partitions: { 1: 0, 3: 0, 12: 3, 50: 7 } },
  { name: "'user-1'", key: () => 'user-1', murmur2: 1404122828, positive: 1404122828, partitions: { 1: 0, 3: 2, 12: 8, 50: 28 } },
  { name: "'1'", key: () => '1', murmur2: -1993445489, positive: 154038159, partitions: { 1: 0, 3: 0, 12: 3, 50: 9 } },
  { name: "'12'", key: () => '12', murmur2: 126087238, positive: 126087238, partitions: { 1: 0, 3: 1, 12: 10, 50: 38 } },
  { name: "'123'", key: () => '123', murmur2: -267702483, positive: 1879781165, partitions: { 1: 0, 3: 2, 12: 5, 50: 15 } },
  { name: "'1234'", key: () => '1234', murmur2: -1614185708, positive: 533297940, partitions: { 1: 0, 3: 0, 12: 0, 50: 40 } },
  { name: "'12345'", key: () => '12345', murmur2: -1188365604, positive: 959118044, partitions: { 1: 0, 3: 2, 12: 8, 50: 44 } },
  { name: "'123456'", key: () => '123456', murmur2: -918490292, positive: 1228993356, partitions: { 1: 0, 3: 0, 12: 0, 50: 6 } },
  { name: "'1234567'", key: () => '1234567', murmur2: -605210426, positive: 1542273222, partitions: { 1: 0, 3: 0, 12: 6, 50: 22 } },
  { name: "'ü'", key: () => '\u00fc', murmur2: 1419834458, positive: 1419834458, partitions: { 1: 0, 3: 2, 12: 2, 50: 8 } },
  { name: "'日本語'", key: () => '\u65e5\u672c\u8a9e', murmur2: 1431860170, positive: 1431860170, partitions: { 1: 0, 3: 1, 12: 10, 50: 20 } },
  { name: "'😀'", key: () => '\ud83d\ude00', murmur2: 131881617, positive: 131881617, partitions: { 1: 0, 3: 0, 12: 9, 50: 17 } },
  { name: "'learner-42'", key: () => 'learner-42', murmur2: -353253561, positive: 1794230087, partitions: { 1: 0, 3: 2, 12: 11, 50: 37 } },
  {
    name: "'künstler-été-😀'",
    key: () => 'k\u00fcnstler-\u00e9t\u00e9-\ud83d\ude00',
    murmur2: 1078319386,
    positive: 1078319386,
    partitions: { 1: 0, 3: 1, 12: 10, 50: 36 },
  },
  { name: 'letters(1000)', key: () => letters(1000), murmur2: 974125425, positive: 974125425, partitions: { 1: 0, 3: 0, 12: 9, 50: 25 } },
  {
    name: "'ü日😀' x 250 (1,000 UTF-16 units, 2,250 bytes)",
    key: () => '\u00fc\u65e5\ud83d\ude00'.repeat(250),
    murmur2: -368028972,
    positive: 1779454676,
    partitions: { 1: 0, 3: 2, 12: 8, 50: 26 },
  },
  {
    name: 'bytes ff ff ff ff',
    key: () => Buffer.from([0xff, 0xff, 0xff, 0xff]),
    murmur2: 644171429,
    positive: 644171429,
    partitions: { 1: 0, 3: 2, 12: 5, 50: 29 },
  },
  {
    name: 'bytes 80 81 82 83 84 85 86',
    key: () => Buffer.from([0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86]),
    murmur2: -47880214,
    positive: 2099603434,
    partitions: { 1: 0, 3: 1, 12: 10, 50: 34 },
  },
  { name: 'bytes 00', key: () => Buffer.from([0x00]), murmur2: 375494588, positive: 375494588, partitions: { 1: 0, 3: 2, 12: 8, 50: 38 } },
  {
    name: 'bytes ff 00',
    key: () => Buffer.from([0xff, 0x00]),
    murmur2: 1945074367,
    positive: 1945074367,
    partitions: { 1: 0, 3: 1, 12: 7, 50: 17 },
  },
  { name: 'k x 10,000', key: () => 'k'.repeat(10_000), murmur2: -1205107609, positive: 942376039, partitions: { 1: 0, 3: 1, 12: 7, 50: 39 } },
  {
    name: 'pattern(100,000) bytes',
    key: () => pattern(100_000),
    murmur2: -1834759877,
    positive: 312723771,
    partitions: { 1: 0, 3: 0, 12: 3, 50: 21 },
  },
  { name: 'k x 100,000', key: () => 'k'.repeat(100_000), murmur2: -865885133, positive: 1281598515, partitions: { 1: 0, 3: 0, 12: 3, 50: 15 } },
];

/** A small deterministic generator (mulberry32), so the random keys are the same on every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('murmur2: the Java client’s Utils.murmur2', () => {
  it.each(VECTORS.map((v) => [v.name, v] as const))('hashes %s as kafka-clients 3.9.2 does', (_name, v) => {
    const key = v.key();
    const h = murmur2(typeof key === 'string' ? Buffer.from(key, 'utf8') : key);
    expect(h).toBe(v.murmur2);
    expect(h & 0x7fffffff).toBe(v.positive);
  });

  it('takes any Uint8Array, not only Buffers', () => {
    expect(murmur2(new Uint8Array([0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86]))).toBe(-47880214);
    expect(murmur2(new TextEncoder().encode('user-1'))).toBe(1404122828);
  });
});

describe('javaCompatiblePartitioner: keyed messages go where the Java client puts them', () => {
  it.each(VECTORS.map((v) => [v.name, v] as const))('partitions %s as kafka-clients 3.9.2 does', (_name, v) => {
    const partition = javaCompatiblePartitioner();
    const key = v.key();
    for (const n of [1, 3, 12, 50] as const) expect([n, partition(args(key, n))]).toEqual([n, v.partitions[n]]);
  });

  it('partitions a 200,000-byte key (string or Buffer) to the Java value', () => {
    const partition = javaCompatiblePartitioner();
    // letters(200000): Utils.murmur2 = -131515324, toPositive = 2015968324
    const text = letters(200_000);
    expect(murmur2(Buffer.from(text))).toBe(-131515324);
    expect([1, 3, 12, 50].map((n) => partition(args(text, n)))).toEqual([0, 1, 4, 24]);
    // 'k' x 200,000: Utils.murmur2 = -1825084419, toPositive = 322399229
    const ks = Buffer.from('k'.repeat(200_000));
    expect(murmur2(ks)).toBe(-1825084419);
    expect([1, 3, 12, 50].map((n) => partition(args(ks, n)))).toEqual([0, 2, 5, 29]);
  });

  it('agrees with kafkajs’s DefaultPartitioner on a few hundred short random keys', () => {
    const random = rng(17);
    const ours = javaCompatiblePartitioner();
    const theirs = Partitioners.DefaultPartitioner();
    const codePoints = [0x20, 0x7e, 0xa0, 0x7ff, 0x800, 0xd7ff, 0xe000, 0xffff, 0x10000, 0x10ffff];
    const keys: (string | Buffer)[] = [];
    for (let i = 0; i < 300; i++) {
      const len = Math.floor(random() * 24);
      if (i % 3 === 0) {
        keys.push(Buffer.from(Array.from({ length: len }, () => Math.floor(random() * 256))));
      } else {
        // code points from every UTF-8 length class (1 to 4 bytes), ASCII most of the time
        const chars = Array.from({ length: len }, () => {
          const band = Math.floor(random() * (codePoints.length / 2)) * 2;
          const [lo, hi] = random() < 0.6 ? [0x20, 0x7e] : [codePoints[band], codePoints[band + 1]];
          return String.fromCodePoint(lo + Math.floor(random() * (hi - lo + 1)));
        });
        keys.push(chars.join(''));
      }
    }
    for (const n of [1, 3, 7, 12, 50])
      for (const k of keys) expect([n, k, ours(args(k, n))]).toEqual([n, k, theirs(args(k, n))]);
  });

  it('works under memoisedPartitioner as it does alone', () => {
    const memo = memoisedPartitioner(javaCompatiblePartitioner)();
    for (const round of [1, 2])
      for (const v of VECTORS.slice(0, 16))
        expect([round, v.name, memo(args(v.key(), 12))]).toEqual([round, v.name, v.partitions[12]]);
  });
});

describe('javaCompatiblePartitioner: other messages are left to kafkajs’s DefaultPartitioner', () => {
  it('keeps the partition a message names, keyed or not', () => {
    const partition = javaCompatiblePartitioner();
    expect(partition(args('user-1', 12, 3))).toBe(3); // 'user-1' alone would go to 8
    expect(partition(args(null, 12, 5))).toBe(5);
  });

  it('spreads unkeyed messages over the partitions that have a leader', () => {
    const partition = javaCompatiblePartitioner();
    const seen = new Set<number>();
    for (let i = 0; i < 60; i++)
      seen.add(partition({ topic: 't', partitionMetadata: metadata(6, [1, 4]), message: { key: null, value: 'v' } }));
    expect([...seen].sort()).toEqual([0, 2, 3, 5]);
  });

  it('treats an undefined key as no key', () => {
    const partition = javaCompatiblePartitioner();
    const seen = new Set(Array.from({ length: 30 }, () => partition({ topic: 't', partitionMetadata: metadata(3), message: { value: 'v' } })));
    expect([...seen].sort()).toEqual([0, 1, 2]);
  });
});
