import { createServer, type Server, type Socket } from 'node:net';
import { expectEventually } from '../../../../test/support/expect-eventually';
import { stallDetectingSocketFactory } from './stall-detecting.socket';

/** A loopback server that either answers every chunk (echo) or never answers (a blackhole that still ACKs). */
async function server(answer: boolean): Promise<{ server: Server; port: number; peers: Socket[] }> {
  const peers: Socket[] = [];
  const srv = createServer((s) => {
    peers.push(s);
    s.on('error', () => undefined);
    if (answer) s.on('data', (d) => s.write(d));
  });
  const port = await new Promise<number>((resolve) =>
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      resolve(typeof a === 'object' && a ? a.port : 0);
    }),
  );
  return { server: srv, port, peers };
}

function open(port: number, stallMs: number): Promise<{ socket: Socket; errors: Error[] }> {
  return new Promise((resolve) => {
    const errors: Error[] = [];
    const socket = stallDetectingSocketFactory(stallMs, 20)({
      host: '127.0.0.1',
      port,
      ssl: undefined as never,
      onConnect: () => resolve({ socket, errors }),
    });
    socket.on('error', (e) => errors.push(e));
  });
}

describe('stallDetectingSocketFactory', () => {
  const servers: { server: Server; peers: Socket[] }[] = [];
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    for (const { peers } of servers) for (const p of peers) p.destroy();
    await Promise.all(servers.splice(0).map(({ server: srv }) => new Promise((r) => srv.close(r))));
  });

  it('drops a connection that wrote a request and then heard nothing for the stall time', async () => {
    const silent = await server(false);
    servers.push(silent);
    const port = silent.port;
    const { socket, errors } = await open(port, 150);
    sockets.push(socket);
    socket.write('a request');
    await expectEventually(() => {
      expect(socket.destroyed).toBe(true);
      expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/no byte from 127\.0\.0\.1:\d+ for 0 s after a request/)]);
    }, 5000);
  });

  it('keeps a connection that answers, and an idle one, well past the stall time', async () => {
    const echo = await server(true);
    const silent = await server(false);
    servers.push(echo, silent);
    const talking = await open(echo.port, 150);
    const idle = await open(silent.port, 150);
    sockets.push(talking.socket, idle.socket);
    const answers: string[] = [];
    talking.socket.on('data', (d) => answers.push(d.toString()));
    for (let i = 0; i < 8; i++) {
      talking.socket.write(`request ${i}`);
      await expectEventually(() => expect(answers.join('')).toContain(`request ${i}`), 2000);
      await new Promise((r) => setTimeout(r, 60)); // 8 × 60 ms: past the 150 ms stall time in all
    }
    expect(talking.socket.destroyed).toBe(false);
    expect(idle.socket.destroyed).toBe(false);
    expect([...talking.errors, ...idle.errors]).toEqual([]);
  });
});
