import { Partitioners, type Kafka, type PartitionerArgs, type ProducerBatch, type ProducerConfig } from 'kafkajs';
import { connectCompleteProducer, connectIdempotentProducer, memoisedPartitioner } from './kafka-client';

const metadata = (n: number) =>
  Array.from({ length: n }, (_, partitionId) => ({ partitionId, leader: 1, partitionErrorCode: 0, replicas: [1], isr: [1] }));

const args = (key: string | Buffer | null, partitions: number, topic = 't', partition?: number): PartitionerArgs => ({
  topic,
  partitionMetadata: metadata(partitions),
  message: { key, value: 'v', ...(partition === undefined ? {} : { partition }) },
});

describe('memoisedPartitioner: the default partitioner, remembered per key', () => {
  it('puts every key where the default (murmur2) partitioner puts it, for any partition count, twice over', () => {
    const plain = Partitioners.DefaultPartitioner();
    const memo = memoisedPartitioner(Partitioners.DefaultPartitioner, 50)();
    const keys = Array.from({ length: 300 }, (_, i) => `learner-${(i * 7919) % 100_003}`);
    for (const round of [1, 2])
      for (const n of [1, 3, 7, 12])
        for (const k of keys) expect([round, n, k, memo(args(k, n))]).toEqual([round, n, k, plain(args(k, n))]);
  });

  it('tells Buffer keys apart byte for byte, and keeps topics apart', () => {
    const plain = Partitioners.DefaultPartitioner();
    const memo = memoisedPartitioner(Partitioners.DefaultPartitioner)();
    for (const k of [Buffer.from([0xff, 0x00]), Buffer.from([0xfe, 0x00]), Buffer.from('é')])
      expect(memo(args(k, 12, 'a'))).toBe(plain(args(k, 12, 'a')));
    expect(memo(args('u1', 12, 'b'))).toBe(plain(args('u1', 12, 'b')));
  });

  it('leaves a message that names its partition, and an unkeyed one, to the partitioner', () => {
    const memo = memoisedPartitioner(Partitioners.DefaultPartitioner)();
    const natural = memo(args('u1', 12));
    expect(memo(args('u1', 12, 't', (natural + 1) % 12))).toBe((natural + 1) % 12);
    const unkeyed = new Set(Array.from({ length: 50 }, () => memo(args(null, 12))));
    expect(unkeyed.size).toBeGreaterThan(1);
  });
});

describe('connectIdempotentProducer', () => {
  // kafkajs's own send, stubbed: it "writes" to the partitions `answer` names, whatever the partitioner said
  const stubbed = (answer: (placed: number[]) => number[]) => {
    const kafka = {
      producer: (c: ProducerConfig) => {
        const partition = c.createPartitioner?.() ?? (() => 0);
        return {
          connect: () => Promise.resolve(),
          sendBatch: ({ topicMessages = [] }: ProducerBatch) => {
            const placed = topicMessages.flatMap((t) => t.messages.map((message) => partition({ topic: t.topic, partitionMetadata: metadata(6), message })));
            return Promise.resolve(answer([...new Set(placed)]).map((p) => ({ topicName: 't', partition: p, errorCode: 0 })));
          },
        };
      },
    } as unknown as Kafka;
    return connectIdempotentProducer(kafka);
  };
  const messages = Array.from({ length: 40 }, (_, i) => ({ key: `u${i}`, value: 'v' }));

  it('resolves a send that wrote every partition its messages went to', async () => {
    const producer = await stubbed((placed) => placed);
    await expect(producer.send({ topic: 't', messages })).resolves.toHaveLength(6);
  });

  it('fails a send kafkajs resolved without writing one of them (a retry after a leader moved; fault scenario 6b)', async () => {
    const producer = await stubbed((placed) => placed.slice(1));
    await expect(producer.sendBatch({ topicMessages: [{ topic: 't', messages }] })).rejects.toThrow(/without writing to t\//);
    await expect(producer.send({ topic: 't', messages: messages.slice(0, 1) })).rejects.toThrow();
  });

  it('fails a send left unanswered past its deadline, and sends the next one', async () => {
    let calls = 0;
    const kafka = {
      producer: () => ({
        connect: () => Promise.resolve(),
        sendBatch: () => (++calls === 1 ? new Promise(() => undefined) : Promise.resolve([])),
      }),
    } as unknown as Kafka;
    const producer = await connectCompleteProducer(kafka, Partitioners.DefaultPartitioner, 50);
    await expect(producer.send({ topic: 't', messages: [] })).rejects.toThrow(/no answer to a send within 50 ms/);
    await expect(producer.send({ topic: 't', messages: [] })).resolves.toEqual([]);
  });
});
