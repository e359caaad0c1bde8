// Real servers for the gateway suites: an upstream that records what it received, a JWKS endpoint
// with a signing key, a scriptable auth service. Every one listens on 127.0.0.1 with a free port.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Writable } from 'node:stream';
import { SignJWT, exportJWK, generateKeyPair, type JWTPayload } from 'jose';
import { pino, type Logger } from 'pino';
import { Agent } from 'undici';
import { listen, type TestServer } from '../support/http.ts';

export { listen, type TestServer };

export interface Recorded {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  rawHeaders: string[];
  body: Buffer;
}

/** An upstream that records each request and answers JSON describing it (or runs `respond`). */
export async function recordingUpstream(
  respond?: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void,
): Promise<TestServer & { requests: Recorded[] }> {
  const requests: Recorded[] = [];
  const server = await listen((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, body });
      if (respond) return respond(req, res, body);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, bodyLength: body.length }));
    });
  });
  return Object.assign(server, { requests });
}

/** A JWKS endpoint that counts fetches, and a signer for tokens it vouches for. */
export async function jwksIssuer() {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
  let fetches = 0;
  const server = await listen((_req, res) => {
    fetches += 1;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  const issuer = `${server.url}/pool`;
  const other = await generateKeyPair('RS256');
  async function sign(claims: JWTPayload, options: { audience?: string; expiresIn?: string | number; key?: 'good' | 'other'; iss?: string } = {}) {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
      .setIssuer(options.iss ?? issuer)
      .setAudience(options.audience ?? 'app-client')
      .setIssuedAt()
      .setExpirationTime(options.expiresIn ?? '5m')
      .sign(options.key === 'other' ? other.privateKey : privateKey);
  }
  return { issuer, jwksUri: `${server.url}/jwks`, sign, fetches: () => fetches, close: server.close };
}

/** A pino logger whose lines land in an array, for access-log assertions. */
export function memoryLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

/** A client that trusts only the given CA and names the gateway "localhost" in TLS. */
export function trustingAgent(ca: string): Agent {
  return new Agent({ connect: { ca, servername: 'localhost' } });
}

/** Sends a request exactly as written (headers undici would refuse or rewrite) over TLS; returns the raw response head. */
export async function rawHttps(port: number, ca: string, head: string): Promise<string> {
  const { connect } = await import('node:tls');
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => socket.write(head));
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (text.includes('\r\n\r\n')) {
        socket.destroy();
        resolve(text.split('\r\n\r\n')[0]!);
      }
    });
    socket.on('error', reject);
  });
}

const GIVE_UP_MS = 5000;

/** Milliseconds from now until the gateway closes `socket`, or -1 if it is still open after `giveUpMs`. */
export function closedWithin(socket: Socket, giveUpMs = GIVE_UP_MS): Promise<number> {
  const started = Date.now();
  socket.on('error', () => {});
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(-1), giveUpMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - started);
    });
  });
}

/**
 * A slow client: sends `head`, then `drop` every 100 ms (a header line, a byte of body), never
 * finishing. Resolves with the milliseconds until the gateway closed the connection, or -1 if it
 * was still open after `giveUpMs`; the socket is destroyed either way.
 */
export async function dripUntilClosed(socket: Socket, head: string, drop: string, giveUpMs = GIVE_UP_MS): Promise<number> {
  const closed = closedWithin(socket, giveUpMs);
  socket.write(head);
  const drip = setInterval(() => socket.writable && socket.write(drop), 100);
  try {
    return await closed;
  } finally {
    clearInterval(drip);
    socket.destroy();
  }
}
