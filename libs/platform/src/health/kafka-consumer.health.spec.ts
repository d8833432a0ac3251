import type { ConsumerState } from '../kafka/kafka-batch.transport';
import { KafkaConsumerHealthIndicator } from './kafka-consumer.health';

describe('KafkaConsumerHealthIndicator', () => {
  it('is up only while the consumer has joined its group', async () => {
    await expect(new KafkaConsumerHealthIndicator(() => 'joined').check()).resolves.toEqual({ consumer: { status: 'up', state: 'joined' } });
  });

  it.each<ConsumerState>(['idle', 'connecting', 'stalled', 'crashed', 'stopped'])('is down, with the state, while %s', async (state) => {
    await expect(new KafkaConsumerHealthIndicator(() => state).check()).resolves.toEqual({ consumer: { status: 'down', state } });
  });
});
