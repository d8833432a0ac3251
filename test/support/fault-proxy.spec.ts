import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { expectEventually } from './expect-eventually';
import { FaultProxy } from './fault-proxy';

/** The proxy against a local echo server (loopback sockets only). */
describe('FaultProxy', () => {
  let echo: Server;
  let echoPort: number;
  let proxy: FaultProxy;
  const clients: Socket[] = [];

  beforeAll(async () => {
    echo = createServer((s) => {
      s.on('error', () => undefined);
      s.pipe(s);
    });
    echoPort = await new Promise<number>((r) => echo.listen(0, '127.0.0.1', () => r((echo.address() as { port: number }).port)));
  });

  afterAll(async () => {
    await new Promise<void>((r) => echo.close(() => r()));
  });

  beforeEach(async () => {
    proxy = await FaultProxy.start({ host: '127.0.0.1', port: echoPort });
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await proxy.close();
  });

  async function connect(): Promise<{ socket: Socket; received: () => string; closed: () => boolean }> {
    const socket = createConnection({ host: '127.0.0.1', port: proxy.port });
    clients.push(socket);
    let data = '';
    let closed = false;
    socket.on('data', (c: Buffer) => (data += c.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => (closed = true));
    await new Promise<void>((r) => socket.once('connect', () => r()));
    return { socket, received: () => data, closed: () => closed };
  }

  it('forwards both ways when healthy', async () => {
    const c = await connect();
    c.socket.write('hello');
    await expectEventually(() => expect(c.received()).toBe('hello'), 5000, 10);
    expect(proxy.stats.bytesForwarded).toBe(10);
  });

  it('keeps the order of chunks under jittered delay', async () => {
    proxy.set({ delayMs: 20, jitterMs: 19 });
    const c = await connect();
    const parts = Array.from({ length: 40 }, (_, i) => `${i};`);
    for (const p of parts) c.socket.write(p);
    await expectEventually(() => expect(c.received()).toBe(parts.join('')), 10_000, 20);
  });

  it('holds everything in a blackhole without refusing, and delivers it in order once lifted', async () => {
    const before = await connect();
    proxy.set({ blackhole: true });
    const during = await connect(); // accepted, not refused
    before.socket.write('a1');
    during.socket.write('b1');
    await new Promise((r) => setTimeout(r, 200));
    expect(before.received()).toBe('');
    expect(during.received()).toBe('');
    expect(before.closed() || during.closed()).toBe(false);
    before.socket.write('a2');
    proxy.heal();
    await expectEventually(() => {
      expect(before.received()).toBe('a1a2');
      expect(during.received()).toBe('b1');
    }, 5000, 10);
  });

  it('leaves the connections a blackhole caught hung for good when told so, while new ones work', async () => {
    const caught = await connect();
    proxy.set({ blackhole: true, afterBlackhole: 'hung' });
    caught.socket.write('lost');
    proxy.heal();
    expect(proxy.hungConnections).toBe(1);
    const fresh = await connect();
    fresh.socket.write('ok');
    caught.socket.write('more');
    await expectEventually(() => expect(fresh.received()).toBe('ok'), 5000, 10);
    await new Promise((r) => setTimeout(r, 100));
    expect(caught.received()).toBe('');
    expect(caught.closed()).toBe(false);
  });

  it('resets open connections too, at the given rate per period', async () => {
    const open = await connect();
    proxy.set({ resetRate: 1, resetWithinMs: 50 });
    await expectEventually(() => expect(open.closed()).toBe(true), 5000, 10);
  });

  it('resets the given share of connections', async () => {
    proxy.set({ resetRate: 1, resetWithinMs: 50 });
    const c = await connect();
    await expectEventually(() => expect(c.closed()).toBe(true), 5000, 10);
    expect(proxy.stats.resets).toBe(1);
    proxy.heal();
    const d = await connect();
    d.socket.write('still');
    await expectEventually(() => expect(d.received()).toBe('still'), 5000, 10);
  });
});
