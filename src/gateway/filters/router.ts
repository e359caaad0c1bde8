// The router stage: forwards the filtered request to the route's service over kept-alive undici
// pools, streaming the body both ways, and turns upstream failures into clear 502/503/504 replies.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { Pool, errors } from 'undici';
import { fromUndici, stripHopByHop, toFlat, toNodeHeaders, type HeaderList } from '../headers.ts';
import { localResponse, type LocalResponse } from '../types.ts';

export interface RouterConfig {
  /** Service name → origin, e.g. { dashboard: 'http://127.0.0.1:3001' }. */
  upstreams: Record<string, string>;
  /** Time allowed for the upstream's response headers (Envoy's route timeout). Default 15 s. */
  timeoutMs?: number;
  /** Longest silence while streaming a body. Default 60 s. */
  idleTimeoutMs?: number;
}

export interface ForwardRequest {
  service: string;
  method: string;
  /** The path as the upstream should see it (after rewrite). */
  path: string;
  headers: HeaderList;
  /** The client's request, streamed upstream when it has a body. */
  body: IncomingMessage | undefined;
  signal: AbortSignal;
}

export type ForwardResult =
  | { kind: 'response'; status: number; headers: HeaderList; body: NodeJS.ReadableStream & { destroy(error?: Error): void } }
  | { kind: 'local'; response: LocalResponse; cause?: string };

function classify(error: unknown, service: string): LocalResponse {
  const code = (error as { code?: string }).code ?? '';
  if (error instanceof errors.HeadersTimeoutError || error instanceof errors.BodyTimeoutError || code === 'UND_ERR_HEADERS_TIMEOUT') {
    return localResponse(504, `upstream request timeout: ${service} did not answer in time\n`, 'UT');
  }
  if (
    error instanceof errors.ConnectTimeoutError ||
    ['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT'].includes(code)
  ) {
    return localResponse(503, `upstream connect error: ${service} is not reachable\n`, 'UF');
  }
  return localResponse(502, `bad gateway: ${service} reset the connection or sent an invalid response\n`, 'UC');
}

export interface Router {
  forward(request: ForwardRequest): Promise<ForwardResult>;
  close(): Promise<void>;
}

export function createRouter(config: RouterConfig): Router {
  const pools = new Map<string, Pool>();
  const timeoutMs = config.timeoutMs ?? 15_000;
  const idleTimeoutMs = config.idleTimeoutMs ?? 60_000;

  function poolFor(service: string): Pool | undefined {
    const origin = config.upstreams[service];
    if (!origin) return undefined;
    let pool = pools.get(service);
    if (!pool) {
      pool = new Pool(origin, { connections: 64, keepAliveTimeout: 30_000, connectTimeout: 5000 });
      pools.set(service, pool);
    }
    return pool;
  }

  return {
    async forward(request) {
      const pool = poolFor(request.service);
      if (!pool) return { kind: 'local', response: localResponse(503, `no healthy upstream: ${request.service} is not configured\n`, 'UH') };
      const headers = request.headers.filter(([name]) => !name.startsWith(':'));
      stripHopByHop(headers);
      try {
        const response = await pool.request({
          method: request.method as 'GET',
          path: request.path,
          headers: toFlat(headers),
          body: request.body ?? null,
          signal: request.signal,
          headersTimeout: timeoutMs,
          bodyTimeout: idleTimeoutMs,
        });
        return { kind: 'response', status: response.statusCode, headers: fromUndici(response.headers), body: response.body };
      } catch (error) {
        const { code, message } = error as { code?: string; message?: string };
        return { kind: 'local', response: classify(error, request.service), cause: `${code ?? 'error'}: ${message ?? String(error)}` };
      }
    },
    async close() {
      await Promise.all([...pools.values()].map((pool) => pool.close()));
    },
  };
}

/**
 * Writes an upstream response to the client, streaming; a failure mid-body resets the client.
 * `headers` are final: the chain's response-header hooks (HSTS) have run on them.
 */
export async function relay(result: Extract<ForwardResult, { kind: 'response' }>, headers: HeaderList, res: ServerResponse, method: string): Promise<void> {
  res.writeHead(result.status, toNodeHeaders(headers));
  if (method === 'HEAD') {
    // A HEAD answer has no body to relay. Destroying undici's body stream emits UND_ERR_ABORTED
    // with nobody listening, which ended the process; draining it ends cleanly and keeps the
    // upstream connection reusable.
    result.body.on('error', () => {});
    result.body.resume();
    res.end();
    return;
  }
  try {
    await pipeline(result.body, res);
  } catch {
    // Headers are gone already; the only honest signal left is an aborted response.
    res.destroy();
  }
}
