// The Envoy runtime's upstream: answers every request with the request it received (method, URL
// and the raw header list, in order and with duplicates), so a client of Envoy learns exactly what
// left the filter chain. ECHO_MARK on the answer tells it apart from a local reply of Envoy's.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HeaderList } from '../../../src/host/index.ts';

export const ECHO_MARK = 'x-oc-echo';

export interface EchoedRequest {
  method: string;
  url: string;
  headers: HeaderList;
}

export async function startEchoUpstream(): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const headers: HeaderList = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
    const echoed: EchoedRequest = { method: req.method ?? '', url: req.url ?? '', headers };
    // latin1 both ways: header bytes stay one char per byte, as the host's byte strings are.
    const body = Buffer.from(JSON.stringify(echoed), 'latin1');
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length, [ECHO_MARK]: '1' }).end(body));
  });
  // Envoy keeps upstream connections open; a long idle limit keeps the server from racing it.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
