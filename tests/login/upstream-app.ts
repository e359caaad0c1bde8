// The app behind the standalone sidecar in tests: a real HTTP server that reports what reached
// it (method, path, headers), echoes request bodies, streams a slow answer, and speaks just
// enough WebSocket (RFC 6455 handshake, single unfragmented text frames) to echo messages.
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

export const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

export interface UpstreamApp {
  url: string;
  /** Requests (and upgrades) in arrival order. */
  seen: Seen[];
  close(): Promise<void>;
}

export function wsAccept(key: string): string {
  return createHash('sha1').update(`${key}${WS_GUID}`).digest('base64');
}

/** One text frame; clients must mask (RFC 6455 §5.3), servers must not. */
export function encodeFrame(text: string, mask: boolean): Buffer {
  const payload = Buffer.from(text);
  if (payload.length > 125) throw new Error('test frames stay short');
  const header = Buffer.from([0x81, (mask ? 0x80 : 0) | payload.length]);
  if (!mask) return Buffer.concat([header, payload]);
  const key = Buffer.from([1, 2, 3, 4]);
  const masked = Buffer.from(payload);
  for (let i = 0; i < masked.length; i++) masked[i] = masked[i]! ^ key[i % 4]!;
  return Buffer.concat([header, key, masked]);
}

/** The first complete frame in `data`, or undefined while it is incomplete. */
export function decodeFrame(data: Buffer): { text: string; rest: Buffer } | undefined {
  if (data.length < 2) return undefined;
  const masked = (data[1]! & 0x80) !== 0;
  const length = data[1]! & 0x7f;
  const start = 2 + (masked ? 4 : 0);
  if (data.length < start + length) return undefined;
  const payload = Buffer.from(data.subarray(start, start + length));
  if (masked) {
    const key = data.subarray(2, 6);
    for (let i = 0; i < payload.length; i++) payload[i] = payload[i]! ^ key[i % 4]!;
  }
  return { text: payload.toString(), rest: data.subarray(start + length) };
}

/**
 * Reads text frames off a client socket one at a time: `next()` resolves with the next complete
 * frame, starting with the bytes that came with the 101 (the app's first frame may be among them).
 */
export function frameReader(socket: Duplex, head: Buffer): () => Promise<string> {
  let buffered: Buffer = Buffer.from(head);
  return () =>
    new Promise<string>((resolve) => {
      const poll = () => {
        const frame = decodeFrame(buffered);
        if (frame) {
          buffered = frame.rest;
          resolve(frame.text);
        } else socket.once('data', (chunk: Buffer) => ((buffered = Buffer.concat([buffered, chunk])), poll()));
      };
      poll();
    });
}

function speakWebSocket(socket: Duplex, seen: Seen): void {
  // First message: what the upgrade request carried, so a test can check its identity.
  socket.write(encodeFrame(JSON.stringify({ authorization: seen.headers.authorization ?? null }), false));
  let buffered: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (let frame = decodeFrame(buffered); frame; frame = decodeFrame(buffered)) {
      buffered = frame.rest;
      socket.write(encodeFrame(`echo:${frame.text}`, false));
    }
  });
  socket.on('error', () => socket.destroy());
  // Server sockets allow half-open connections: close ours when the peer is done.
  socket.on('end', () => socket.end());
}

export async function startUpstreamApp(): Promise<UpstreamApp> {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    const entry = { method: req.method ?? '', url: req.url ?? '', headers: req.headers };
    seen.push(entry);
    if (req.url === '/echo-body') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      req.pipe(res);
      return;
    }
    if (req.url === '/slow') {
      // The first chunk must reach the client long before the last is written.
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first\n');
      setTimeout(() => res.end('last\n'), 600);
      return;
    }
    req.resume();
    const body = JSON.stringify(entry);
    res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': 'app-cookie=1; Path=/' });
    res.end(body);
  });
  server.on('upgrade', (req, socket, head) => {
    const entry = { method: req.method ?? '', url: req.url ?? '', headers: req.headers };
    seen.push(entry);
    const key = req.headers['sec-websocket-key'];
    if (typeof key !== 'string' || (req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
      socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: ${wsAccept(key)}\r\n\r\n`);
    if (head.length) socket.unshift(head);
    speakWebSocket(socket, entry);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
