// The reverse proxy of the standalone sidecar: one upstream, bodies streamed both ways, WebSocket
// (and other HTTP/1.1) upgrades spliced after the upstream's 101. The caller decides the identity
// the request carries; this module only moves bytes and says 502 when the app cannot be reached.
import { request as httpRequest, Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import { BASE_HEADERS } from './respond.ts';
import { endToEnd, type OutgoingHeaders } from './forwarded.ts';

export const UPSTREAM_DOWN_MESSAGE = 'The application behind the login service is not reachable right now. Please try again in a moment.';

export interface UpstreamProxy {
  forward(req: IncomingMessage, res: ServerResponse, headers: OutgoingHeaders, setCookies: readonly string[]): void;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, headers: OutgoingHeaders): void;
  close(): void;
}

function rawResponse(status: number, reason: string, headers: Record<string, string | string[] | number | undefined>, body = ''): string {
  const lines = [`HTTP/1.1 ${status} ${reason}`];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${item}`);
  }
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** A small raw HTTP answer on an upgrade socket (nothing was sent there yet). */
export function rejectUpgrade(socket: Duplex, status: number, reason: string, headers: Record<string, string | string[]>, body: string): void {
  socket.end(rawResponse(status, reason, { ...BASE_HEADERS, ...headers, 'content-length': Buffer.byteLength(body), connection: 'close' }, body));
}

export function createUpstreamProxy(upstream: URL, logger: Logger): UpstreamProxy {
  const secure = upstream.protocol === 'https:';
  const agent = secure ? new HttpsAgent({ keepAlive: true }) : new Agent({ keepAlive: true });
  const send = secure ? httpsRequest : httpRequest;
  const target = (req: IncomingMessage, headers: OutgoingHeaders) => ({
    protocol: upstream.protocol,
    hostname: upstream.hostname.replace(/^\[|\]$/g, ''),
    port: upstream.port || (secure ? 443 : 80),
    method: req.method,
    path: req.url,
    headers,
  });

  function badGateway(res: ServerResponse, reason: string): void {
    logger.warn({ upstream: upstream.origin, reason }, 'upstream unreachable');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = `502 Bad Gateway\n${UPSTREAM_DOWN_MESSAGE}\n`;
    res.writeHead(502, { ...BASE_HEADERS, 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), 'retry-after': '5' });
    res.end(body);
  }

  return {
    forward(req, res, headers, setCookies) {
      const outgoing = send({ ...target(req, headers), agent });
      outgoing.on('response', (answer) => {
        const responseHeaders = endToEnd(answer.headers);
        if (setCookies.length) {
          const existing = answer.headers['set-cookie'] ?? [];
          responseHeaders['set-cookie'] = [...existing, ...setCookies];
        }
        res.writeHead(answer.statusCode ?? 502, answer.statusMessage, responseHeaders);
        pipeline(answer, res).catch(() => res.destroy());
      });
      outgoing.on('error', (error) => badGateway(res, error.message));
      // A client that goes away stops the upstream request too.
      res.on('close', () => {
        if (!res.writableFinished) outgoing.destroy();
      });
      pipeline(req, outgoing).catch(() => outgoing.destroy());
    },

    upgrade(req, socket, head, headers) {
      const outgoing = send({ ...target(req, headers), agent: false });
      outgoing.on('upgrade', (answer, upstreamSocket, upstreamHead) => {
        socket.write(rawResponse(answer.statusCode ?? 101, answer.statusMessage ?? 'Switching Protocols', answer.headers));
        if (upstreamHead.length) socket.write(upstreamHead);
        if (head.length) upstreamSocket.write(head);
        // Both sides are half-open capable (node's HTTP server sockets are): a FIN from one side
        // is passed on by pipe() as end(), and whichever closes first takes the other with it.
        upstreamSocket.pipe(socket).pipe(upstreamSocket);
        const closeBoth = () => {
          socket.destroy();
          upstreamSocket.destroy();
        };
        socket.on('end', () => socket.end());
        upstreamSocket.on('end', () => upstreamSocket.end());
        socket.on('error', closeBoth);
        upstreamSocket.on('error', closeBoth);
        socket.on('close', closeBoth);
        upstreamSocket.on('close', closeBoth);
      });
      // The app refused the upgrade with an ordinary answer: hand it to the client as it is.
      outgoing.on('response', (answer) => {
        socket.write(rawResponse(answer.statusCode ?? 502, answer.statusMessage ?? '', { ...endToEnd(answer.headers), connection: 'close' }));
        answer.pipe(socket);
      });
      outgoing.on('error', (error) => {
        logger.warn({ upstream: upstream.origin, reason: error.message }, 'upstream unreachable (upgrade)');
        const body = `502 Bad Gateway\n${UPSTREAM_DOWN_MESSAGE}\n`;
        if (socket.writable) rejectUpgrade(socket, 502, 'Bad Gateway', { 'content-type': 'text/plain; charset=utf-8' }, body);
      });
      socket.on('error', () => outgoing.destroy());
      outgoing.end();
    },

    close() {
      agent.destroy();
    },
  };
}
