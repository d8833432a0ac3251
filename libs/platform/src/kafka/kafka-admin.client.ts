import type { Admin, Kafka } from 'kafkajs';
import type { Logger } from '../logging/logger';

/** What the operational reads need from a Kafka admin connection (KafkaAdminClient below provides it). */
export interface KafkaAdminAccess {
  use<T>(fn: (admin: Admin) => Promise<T>): Promise<T>;
}

/**
 * One lazily connected kafkajs admin for the operational reads (readiness, consumer lag). A failed
 * call drops the connection so the next call reconnects; retries are short because callers poll.
 */
export class KafkaAdminClient implements KafkaAdminAccess {
  private admin: Admin | null = null;
  private connecting: Promise<Admin> | null = null;
  private closed = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly logger: Logger,
  ) {}

  async use<T>(fn: (admin: Admin) => Promise<T>): Promise<T> {
    if (this.closed) throw new Error('the Kafka admin client is closed');
    const admin = await this.connect();
    try {
      return await fn(admin);
    } catch (e) {
      await this.drop(admin);
      throw e;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const pending = this.connecting;
    this.connecting = null;
    if (this.admin) await this.drop(this.admin);
    if (pending) await pending.then((a) => this.drop(a)).catch(() => undefined);
  }

  private connect(): Promise<Admin> {
    if (this.admin) return Promise.resolve(this.admin);
    this.connecting ??= (async () => {
      const admin = this.kafka.admin({ retry: { retries: 1, initialRetryTime: 200, maxRetryTime: 1000 } });
      try {
        await admin.connect();
      } catch (e) {
        await admin.disconnect().catch(() => undefined);
        throw e;
      }
      if (this.closed) {
        await admin.disconnect().catch(() => undefined);
        throw new Error('the Kafka admin client is closed');
      }
      this.admin = admin;
      return admin;
    })().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async drop(admin: Admin): Promise<void> {
    if (this.admin === admin) this.admin = null;
    await admin.disconnect().catch((e: unknown) => this.logger.debug({ err: e }, 'kafka admin disconnect failed'));
  }
}

/** Rejects with `label timed out` when `promise` has not settled within `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, label: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
