// An HTTP/1.1 client that writes a request byte for byte as given: header names, order, duplicates
// and latin1 values exactly, nothing added (Node's http client adds Connection and frames a
// body-less POST as chunked). One kept-alive connection, requests one at a time; the answers it
// reads are Envoy's, which always carry content-length (the echo upstream's and local replies).
import { connect, type Socket } from 'node:net';
import type { HeaderList } from '../../../src/host/index.ts';

export interface RawResponse {
  status: number;
  /** Names lower-cased; a repeated name keeps its last value. */
  headers: Record<string, string>;
  body: string;
}

const HEAD_END = Buffer.from('\r\n\r\n');
const MAX_HEAD_BYTES = 256 * 1024;
/** A request Envoy holds (a paused stream) fails after this instead of hanging its caller. */
const RESPONSE_TIMEOUT_MS = 15_000;

export function rawHttpClient(port: number, host = '127.0.0.1'): { send(method: string, path: string, headers: HeaderList): Promise<RawResponse>; close(): void } {
  let socket: Socket | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  const exchange = (bytes: Buffer) =>
    new Promise<RawResponse>((resolve, reject) => {
      if (!socket || socket.destroyed || !socket.writable) socket = connect(port, host).setNoDelay(true);
      const conn = socket;
      let buffered = Buffer.alloc(0);
      const timer = setTimeout(() => done(new Error(`no response within ${RESPONSE_TIMEOUT_MS / 1000} s`)), RESPONSE_TIMEOUT_MS);
      const done = (error: Error | undefined, response?: RawResponse) => {
        clearTimeout(timer);
        conn.off('data', onData).off('error', onError).off('close', onClose);
        if (error) {
          conn.destroy();
          reject(error);
        } else resolve(response!);
      };
      const onData = (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        const end = buffered.indexOf(HEAD_END);
        if (end < 0) {
          if (buffered.length > MAX_HEAD_BYTES) done(new Error('response head too large'));
          return;
        }
        const [statusLine, ...lines] = buffered.subarray(0, end).toString('latin1').split('\r\n');
        const headers: Record<string, string> = {};
        for (const line of lines) {
          const colon = line.indexOf(':');
          headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
        }
        const length = Number(headers['content-length'] ?? NaN);
        if (!Number.isInteger(length)) return done(new Error(`response without content-length: ${statusLine}`));
        if (buffered.length < end + 4 + length) return;
        const body = buffered.subarray(end + 4, end + 4 + length).toString('latin1');
        if (headers.connection === 'close') conn.end();
        done(undefined, { status: Number(statusLine!.split(' ')[1]), headers, body });
      };
      const onError = (error: Error) => done(error);
      const onClose = () => done(new Error('connection closed before a full response'));
      conn.on('data', onData).on('error', onError).on('close', onClose);
      conn.write(bytes);
    });

  return {
    send(method, path, headers) {
      const head = `${method} ${path} HTTP/1.1\r\n${headers.map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n`;
      const next = queue.then(() => exchange(Buffer.from(head, 'latin1')));
      queue = next.catch(() => undefined);
      return next;
    },
    close() {
      socket?.destroy();
    },
  };
}
