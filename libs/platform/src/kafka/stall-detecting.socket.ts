import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { ISocketFactory } from 'kafkajs';

/**
 * The longest a connection may wait for any byte back after writing a request before it is dropped.
 * Above every wait the broker may legitimately take: a JoinGroup is answered within the rebalance
 * timeout (60 s), a fetch within its max wait (5 s), anything else within the request timeout (30 s).
 */
export const KAFKA_STALL_MS = 75_000;

/** kafkajs's own keep-alive delay, kept. */
const KEEP_ALIVE_MS = 60_000;

/**
 * kafkajs's socket factory plus a stall detector. kafkajs times a request out but keeps using its
 * connection, so a connection that hangs (a blackhole: the peer's TCP stack still acknowledges, nothing
 * is answered) times out every retry on it forever; fault scenario 8d found the outbox relay stuck that
 * way. Here a socket that wrote and then read nothing for `stallMs` is destroyed: kafkajs sees the
 * connection fail and opens a new one on its next attempt. An idle connection (nothing written since
 * the last byte read) is never dropped.
 */
export function stallDetectingSocketFactory(stallMs = KAFKA_STALL_MS, checkEveryMs = 1000): ISocketFactory {
  return ({ host, port, ssl, onConnect }) => {
    const socket: Socket = ssl
      ? tlsConnect({ host, port, ...(isIP(host) ? {} : { servername: host }), ...ssl }, onConnect)
      : netConnect({ host, port }, onConnect);
    socket.setKeepAlive(true, KEEP_ALIVE_MS);
    watchForStall(socket, stallMs, checkEveryMs);
    return socket;
  };
}

/** Destroys `socket` once it has written bytes and then read none for `stallMs`. */
export function watchForStall(socket: Socket, stallMs: number, checkEveryMs: number): void {
  let read = socket.bytesRead;
  let writtenAtRead = socket.bytesWritten;
  let waitingSince: number | null = null;
  const timer = setInterval(() => {
    const now = Date.now();
    if (socket.bytesRead !== read) {
      read = socket.bytesRead;
      writtenAtRead = socket.bytesWritten;
      waitingSince = null;
    } else if (socket.bytesWritten > writtenAtRead) {
      waitingSince ??= now;
      if (now - waitingSince >= stallMs) {
        clearInterval(timer);
        socket.destroy(new Error(`no byte from ${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'} for ${Math.round(stallMs / 1000)} s after a request: connection dropped`));
      }
    }
  }, checkEveryMs);
  timer.unref();
  socket.once('close', () => clearInterval(timer));
}
