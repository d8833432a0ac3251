import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy that injects network faults between a service and what it talks to (this kernel has no
 * `tc netem`): latency with jitter per chunk (order kept per direction), connections reset (RST) at
 * random, and a blackhole in which connections hang — accepted, nothing forwarded, nothing refused —
 * until it is lifted, when held data flows again (as TCP retransmission would deliver it).
 */
export interface ProxyFaults {
  /** Added to every chunk, each way. */
  delayMs: number;
  /** Uniform ± around `delayMs`. */
  jitterMs: number;
  /**
   * Share of connections (0–1) reset (RST both ways) per `resetWithinMs`: each new connection, and every
   * open one once per period, is reset at a random moment within the period with this probability.
   */
  resetRate: number;
  resetWithinMs: number;
  /** Hold every byte (and every new connection's upstream) until lifted. */
  blackhole: boolean;
  /**
   * What a lifted blackhole does to the connections it caught: `deliver` what it held (TCP retransmission
   * got through), or leave them `hung` for good — nothing more forwarded either way, never closed — as a
   * peer that vanished behind a firewall, so only the client's own timeouts can free them.
   */
  afterBlackhole: 'deliver' | 'hung';
}

export const NO_FAULTS: ProxyFaults = { delayMs: 0, jitterMs: 0, resetRate: 0, resetWithinMs: 5000, blackhole: false, afterBlackhole: 'deliver' };

export interface ProxyStats {
  connections: number;
  resets: number;
  bytesForwarded: number;
}

interface Pipe {
  client: Socket;
  upstream: Socket | null;
  /** Chunks waiting for the blackhole to lift, in order, per direction. */
  held: { toUpstream: Buffer[]; toClient: Buffer[] };
  /** Delayed chunks of each direction, in order, with when each is due (never before the one ahead). */
  queue: { toUpstream: { at: number; chunk: Buffer }[]; toClient: { at: number; chunk: Buffer }[] };
  closed: boolean;
  /** Caught by a blackhole lifted with `afterBlackhole: 'hung'`: frozen until the client gives up. */
  hung: boolean;
}

export class FaultProxy {
  readonly stats: ProxyStats = { connections: 0, resets: 0, bytesForwarded: 0 };
  private faults: ProxyFaults = { ...NO_FAULTS };
  private readonly pipes = new Set<Pipe>();
  private resetTimer: NodeJS.Timeout | null = null;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly target: { host: string; port: number },
    private readonly random: () => number,
  ) {}

  /** Listens on 127.0.0.1 (`listenPort`, or one the OS picks) and forwards to `target`. */
  static async start(target: { host: string; port: number }, o: { listenPort?: number; random?: () => number } = {}): Promise<FaultProxy> {
    let proxy: FaultProxy | null = null;
    const server = createServer((socket) => proxy?.accept(socket));
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.listenPort ?? 0, '127.0.0.1', () => {
        const a = server.address();
        resolve(typeof a === 'object' && a ? a.port : 0);
      });
    });
    proxy = new FaultProxy(server, port, target, o.random ?? Math.random);
    return proxy;
  }

  /** Changes the faults from now on (held data is released when a blackhole is lifted). */
  set(faults: Partial<ProxyFaults>): void {
    const wasBlackhole = this.faults.blackhole;
    const hangCaught = (faults.afterBlackhole ?? this.faults.afterBlackhole) === 'hung';
    this.faults = { ...this.faults, ...faults };
    if (wasBlackhole && !this.faults.blackhole)
      for (const p of this.pipes) {
        if (hangCaught) {
          p.hung = true;
          p.held.toUpstream.length = 0;
          p.held.toClient.length = 0;
        } else this.release(p);
      }
    if (this.resetTimer) clearInterval(this.resetTimer);
    this.resetTimer = null;
    if (this.faults.resetRate > 0) {
      const sweep = () => {
        for (const p of this.pipes) this.maybeReset(p);
      };
      sweep();
      this.resetTimer = setInterval(sweep, this.faults.resetWithinMs);
      this.resetTimer.unref();
    }
  }

  /** Back to a clean network (a lifted blackhole treats what it caught as `afterBlackhole` says). */
  heal(): void {
    const { afterBlackhole } = this.faults;
    this.set({ ...NO_FAULTS, afterBlackhole });
    this.faults.afterBlackhole = 'deliver';
  }

  /** Connections left hung by a blackhole, still open. */
  get hungConnections(): number {
    return [...this.pipes].filter((p) => p.hung).length;
  }

  get openConnections(): number {
    return this.pipes.size;
  }

  async close(): Promise<void> {
    if (this.resetTimer) clearInterval(this.resetTimer);
    for (const p of this.pipes) this.destroy(p);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    this.stats.connections++;
    const pipe: Pipe = {
      client,
      upstream: null,
      held: { toUpstream: [], toClient: [] },
      queue: { toUpstream: [], toClient: [] },
      closed: false,
      hung: false,
    };
    this.pipes.add(pipe);
    client.setNoDelay(true);
    client.on('data', (chunk: Buffer) => this.forward(pipe, 'toUpstream', chunk));
    client.on('error', () => this.destroy(pipe));
    client.on('close', () => this.destroy(pipe));
    this.maybeReset(pipe);
    if (!this.faults.blackhole) this.connectUpstream(pipe);
  }

  private maybeReset(pipe: Pipe): void {
    if (this.faults.resetRate <= 0 || this.random() >= this.faults.resetRate) return;
    const after = Math.floor(this.random() * this.faults.resetWithinMs);
    setTimeout(() => {
      if (pipe.closed) return;
      this.stats.resets++;
      pipe.client.resetAndDestroy();
      pipe.upstream?.resetAndDestroy();
      this.destroy(pipe);
    }, after).unref();
  }

  private connectUpstream(pipe: Pipe): void {
    if (pipe.upstream || pipe.closed) return;
    const upstream = createConnection({ host: this.target.host, port: this.target.port });
    upstream.setNoDelay(true);
    pipe.upstream = upstream;
    upstream.on('data', (chunk: Buffer) => this.forward(pipe, 'toClient', chunk));
    upstream.on('error', () => this.destroy(pipe));
    upstream.on('close', () => this.destroy(pipe));
    this.release(pipe);
  }

  private forward(pipe: Pipe, way: 'toUpstream' | 'toClient', chunk: Buffer): void {
    if (pipe.closed || pipe.hung) return;
    if (this.faults.blackhole || (way === 'toUpstream' && !pipe.upstream)) {
      pipe.held[way].push(chunk);
      return;
    }
    const { delayMs, jitterMs } = this.faults;
    const delay = Math.max(0, delayMs + (jitterMs > 0 ? (this.random() * 2 - 1) * jitterMs : 0));
    const queue = pipe.queue[way];
    if (delay === 0 && queue.length === 0) {
      this.write(pipe, way, chunk);
      return;
    }
    // One queue per direction, drained in order by one timer: timers of different durations that
    // expire in the same millisecond do not fire in creation order, so each chunk cannot have its own.
    const at = Math.max(Date.now() + delay, queue.length > 0 ? queue[queue.length - 1].at : 0);
    queue.push({ at, chunk });
    if (queue.length === 1) this.drainLater(pipe, way);
  }

  private drainLater(pipe: Pipe, way: 'toUpstream' | 'toClient'): void {
    const queue = pipe.queue[way];
    if (queue.length === 0 || pipe.closed) return;
    setTimeout(() => {
      while (queue.length > 0 && queue[0].at <= Date.now()) this.write(pipe, way, queue.shift()!.chunk);
      this.drainLater(pipe, way);
    }, Math.max(0, queue[0].at - Date.now()));
  }

  private write(pipe: Pipe, way: 'toUpstream' | 'toClient', chunk: Buffer): void {
    if (pipe.closed) return;
    const to = way === 'toUpstream' ? pipe.upstream : pipe.client;
    if (!to) return;
    this.stats.bytesForwarded += chunk.length;
    to.write(chunk);
  }

  /** Sends what the blackhole held, in order (connecting upstream first if it never did). */
  private release(pipe: Pipe): void {
    if (pipe.closed || pipe.hung || this.faults.blackhole) return;
    if (!pipe.upstream) {
      this.connectUpstream(pipe);
      return;
    }
    for (const way of ['toUpstream', 'toClient'] as const) {
      const chunks = pipe.held[way].splice(0);
      for (const c of chunks) this.forward(pipe, way, c);
    }
  }

  private destroy(pipe: Pipe): void {
    if (pipe.closed) return;
    pipe.closed = true;
    this.pipes.delete(pipe);
    pipe.client.destroy();
    pipe.upstream?.destroy();
  }
}
