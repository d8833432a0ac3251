/**
 * What both (a) pass-through relays share (bench/phases/raw-kafka-relay.main.ts on kafkajs and
 * bench/native-client/raw-kafka-relay.native.ts on the native client), so they differ only in their clients.
 */
import type { EachBatchPayload, IHeaders } from 'kafkajs';

export const env = (name: string, fallback?: string): string => {
  const v = process.env[name] ?? fallback;
  if (v === undefined) throw new Error(`${name} is required`);
  return v;
};

/** One record to copy: the input's key, value and headers, to the same partition of the output topic. */
export interface RelayedMessage {
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders | undefined;
  partition: number;
}

/**
 * The relays' eachBatch: slices of `max` messages, each produced (acks=all, awaited) to the batch's
 * partition of the output topic, then its offset committed.
 */
export function passThroughBatch(
  max: number,
  send: (messages: RelayedMessage[]) => Promise<unknown>,
  commit: (offset: { topic: string; partition: number; offset: string }) => Promise<unknown>,
) {
  return async ({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> => {
    for (let i = 0; i < batch.messages.length; i += max) {
      if (!isRunning() || isStale()) return;
      const slice = batch.messages.slice(i, i + max);
      await send(slice.map((m) => ({ key: m.key, value: m.value, headers: m.headers, partition: batch.partition })));
      const last = slice[slice.length - 1];
      resolveOffset(last.offset);
      await commit({ topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() });
      await heartbeat();
    }
  };
}

/** On SIGTERM or SIGINT: disconnect the clients (errors ignored), then exit 0. */
export function stopOnSignal(...clients: { disconnect(): Promise<void> }[]): void {
  const stop = () => {
    void (async () => {
      for (const c of clients) await c.disconnect().catch(() => undefined);
      process.exit(0);
    })();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

export function runRelay(name: string, main: () => Promise<void>): void {
  main().catch((e: unknown) => {
    process.stderr.write(`${name} failed: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  });
}
