// The local edge: three listeners, routes from src/topology (or an HTTPRoute file), and per
// listener a filter chain in Istio's order (filters/order.ts) — on the external listener ext_authz →
// jwt_authn → org-context plugin → HSTS, on the internal one the M2M token check — then the router.
// This file is the connection manager: it parses and sanitises what the client sent, matches the
// route, runs the chain and forwards; each stage owns its own logic in filters/.
import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { pino, type Logger } from 'pino';
import { GATEWAY_PORTS, HSTS_HEADER, ROUTES, matchRoute, type ListenerName, type Route } from '../topology/index.ts';
import { writeAccessLog } from './access-log.ts';
import { createChain, type FilterChain } from './filters/chain.ts';
import { createExtAuthz, extAuthzFilter, type ExtAuthzConfig } from './filters/ext-authz.ts';
import type { HttpFilter } from './filters/filter.ts';
import { hstsFilter } from './filters/hsts.ts';
import { jwtAuthnFilter, type JwtAuthnConfig } from './filters/jwt-authn.ts';
import { m2mTokenFilter } from './filters/m2m-token.ts';
import { createRouter, relay } from './filters/router.ts';
import { rewriteForUpstream } from './filters/url-rewrite.ts';
import { wasmFilter, type WasmPlugin } from './filters/wasm.ts';
import { fromRaw, remove, stripHopByHop, toNodeHeaders, type HeaderList } from './headers.ts';
import { normaliseTarget, validAuthority } from './request-target.ts';
import { localResponse, type FilterRequest, type LocalResponse } from './types.ts';

export interface GatewayConfig {
  /** Address every listener binds to. Default 127.0.0.1. */
  bindAddress?: string;
  /** Host name in redirects and printed URLs. Default localhost. */
  publicHost?: string;
  /** 0 picks a free port (tests). Defaults from src/topology. */
  ports?: { http?: number; https?: number; internal?: number };
  tls: { key: string; cert: string };
  /** Defaults to src/topology's ROUTES. */
  routes?: readonly Route[];
  /** Service name → origin. */
  upstreams: Record<string, string>;
  /** Omit to run without ext_authz (tests of later stages only). */
  extAuthz?: ExtAuthzConfig;
  jwtAuthn?: JwtAuthnConfig;
  /** The org-context filter, loaded through src/host; the caller closes it after the gateway. */
  plugin?: WasmPlugin;
  /**
   * Verifies the M2M token on internal routes that require one (e.g. onboarding's
   * `createM2mVerifier`: issuer, signature, `token_use: access`, scope). Issuer and signature alone
   * are not enough — an ID token from the same pool would pass — so there is no default: a route
   * that requires a token with no verifier configured refuses every request (never an open door).
   */
  m2m?: { verify: (token: string) => Promise<boolean> };
  routeTimeoutMs?: number;
  /** Client-side timeouts (Envoy's edge-proxy values by default, see GATEWAY_TIMEOUT_DEFAULTS). */
  timeouts?: Partial<GatewayTimeouts>;
  /** `Strict-Transport-Security` on every HTTPS response; false leaves it out. Default HSTS_HEADER.value (src/topology), as the production HTTPRoutes set. */
  hsts?: string | false;
  logger?: Logger;
}

/**
 * How long a client may take, modelled on Envoy's recommended edge-proxy settings: the request
 * headers within 10 s (`request_headers_timeout`), no stream silent for over 5 min
 * (`stream_idle_timeout`), idle keep-alive connections closed after 1 h (`idle_timeout`). Envoy's
 * default leaves `request_timeout` off; its edge guide, like this gateway, wants a whole request
 * (headers and body) within 5 min, so a client dripping a byte now and then cannot hold a
 * connection forever. 0 disables one. docs/gateway.md has the table.
 */
export interface GatewayTimeouts {
  requestHeadersMs: number;
  requestMs: number;
  streamIdleMs: number;
  connectionIdleMs: number;
}

export const GATEWAY_TIMEOUT_DEFAULTS: Readonly<GatewayTimeouts> = {
  requestHeadersMs: 10_000,
  requestMs: 300_000,
  streamIdleMs: 300_000,
  connectionIdleMs: 3_600_000,
};

export interface RunningGateway {
  urls: { http: string; https: string; internal: string };
  ports: { http: number; https: number; internal: number };
  /** Sets or replaces stages (upstreams, ext_authz, jwt_authn, plugin, M2M) once their URLs are known. */
  configure(update: Partial<GatewayStages>): Promise<void>;
  close(): Promise<void>;
}

const EDGE_HEADERS = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'x-request-id', 'forwarded'];

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function sendLocal(res: ServerResponse, reply: LocalResponse, requestId: string, extra: HeaderList, chain: FilterChain): void {
  const body = typeof reply.body === 'string' ? Buffer.from(reply.body) : reply.body;
  const headers: HeaderList = [...reply.headers.filter(([name]) => name !== 'content-length'), ...extra, ['x-request-id', requestId], ['content-length', String(body.length)]];
  chain.encode(headers);
  res.writeHead(reply.status, toNodeHeaders(headers));
  res.end(body);
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** What `configure` may set once the other parts are up (their URLs can depend on the gateway's ports). */
export type GatewayStages = Pick<GatewayConfig, 'upstreams' | 'extAuthz' | 'jwtAuthn' | 'plugin' | 'm2m'>;

/** Each listener's chain and the router, from one configuration; `configure` builds a new set. */
function buildStages(config: GatewayStages, options: { routeTimeoutMs: number | undefined; hsts: string | false }) {
  const extAuthz = config.extAuthz ? createExtAuthz(config.extAuthz) : undefined;
  const external: HttpFilter[] = [
    ...(extAuthz ? [extAuthzFilter(extAuthz)] : []),
    ...(config.jwtAuthn ? [jwtAuthnFilter(config.jwtAuthn)] : []),
    ...(config.plugin ? [wasmFilter(config.plugin)] : []),
    m2mTokenFilter(typeof config.m2m?.verify === 'function' ? config.m2m.verify : undefined),
    ...(options.hsts ? [hstsFilter(options.hsts)] : []),
  ];
  // In the mesh the internal gateway's routes carry no waypoint policy but the M2M check.
  const internal: HttpFilter[] = [m2mTokenFilter(typeof config.m2m?.verify === 'function' ? config.m2m.verify : undefined)];
  const chains: Record<ListenerName, FilterChain> = { external: createChain('external', external), internal: createChain('internal', internal) };
  return {
    upstreams: config.upstreams,
    chains,
    router: createRouter({ upstreams: config.upstreams, ...(options.routeTimeoutMs ? { timeoutMs: options.routeTimeoutMs } : {}) }),
    close: async () => {
      await extAuthz?.close();
    },
  };
}

async function closeStages(stages: ReturnType<typeof buildStages>): Promise<void> {
  // The plugin is not closed here: whoever created it (src/host) owns it and may reuse it.
  await Promise.all([stages.router.close(), stages.close()]);
}

export async function startGateway(config: GatewayConfig): Promise<RunningGateway> {
  const logger = config.logger ?? pino({ name: 'gateway' });
  const routes = config.routes ?? ROUTES;
  const bind = config.bindAddress ?? '127.0.0.1';
  const publicHost = config.publicHost ?? 'localhost';
  let stagesConfig: GatewayStages = { upstreams: config.upstreams, extAuthz: config.extAuthz, jwtAuthn: config.jwtAuthn, plugin: config.plugin, m2m: config.m2m };
  const hsts = config.hsts === undefined ? HSTS_HEADER.value : config.hsts;
  const stageOptions = { routeTimeoutMs: config.routeTimeoutMs, hsts };
  let stages = buildStages(stagesConfig, stageOptions);

  let httpsPort = config.ports?.https ?? GATEWAY_PORTS.https;

  async function handle(listener: ListenerName, scheme: 'http' | 'https', req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const requestId = randomUUID();
    const method = req.method ?? 'GET';
    let path = req.url ?? '/';
    let route: Route | undefined;
    let flag: string | undefined;
    res.once('close', () => {
      writeAccessLog(logger, {
        listener,
        method,
        path,
        status: res.statusCode,
        route: route?.name,
        upstream: route ? `${route.service} ${stages.upstreams[route.service] ?? '-'}` : undefined,
        durationMs: performance.now() - started,
        requestId,
        flag: flag ?? (res.writableFinished ? undefined : 'DC'),
      });
    });
    // Before the route is known the chain is the listener's as it stands (its HSTS applies to a 400 too).
    let chain = stages.chains[listener];
    const reply = (response: LocalResponse, extra: HeaderList = []): void => {
      flag = response.flag;
      if (hasBody(req)) req.resume(); // discard an unread upload so the connection can be reused
      sendLocal(res, response, requestId, extra, chain);
    };

    const target = normaliseTarget(req.url);
    const authority = validAuthority(req.headers.host);
    if (!target || !authority) return reply(localResponse(400, 'bad request: invalid path or host\n', 'DPE'));
    path = target;

    route = matchRoute(listener, target, routes);
    if (!route) return reply(localResponse(404, `no route matches ${target.split('?')[0]}\n`, 'NR'));
    // One request sees one configuration, even if `configure` swaps it meanwhile.
    const { router, chains } = stages;
    chain = chains[listener];

    // The edge owns these: whatever the client sent is replaced, as Envoy does with use_remote_address.
    const headers = fromRaw(req.rawHeaders);
    remove(headers, 'host');
    stripHopByHop(headers);
    // `Expect: 100-continue` was answered already (answerContinueAtTheEdge); forwarded, undici
    // would refuse the request (502).
    remove(headers, 'expect');
    for (const name of EDGE_HEADERS) remove(headers, name);
    // Every client `x-envoy-*` header is dropped, but those a stage of this chain sanitises itself
    // (jwt_authn's payload header, which Envoy keeps on a CORS preflight): where no such stage
    // runs, a backend never reads a payload that no filter verified.
    for (const [name] of [...headers]) {
      if (name.startsWith('x-envoy-') && !chain.sanitised.has(name)) remove(headers, name);
    }
    headers.push(
      ['x-forwarded-for', req.socket.remoteAddress ?? ''],
      ['x-forwarded-proto', scheme],
      ['x-forwarded-host', authority],
      ['x-request-id', requestId],
    );
    const request: FilterRequest = { method, path: target, authority, scheme, headers, metadata: {}, responseHeaders: [] };
    const stream = { listener, route, sourceAddress: `${req.socket.remoteAddress}:${req.socket.remotePort}` };

    const denied = await chain.decode(request, stream);
    if (denied) return reply(denied, request.responseHeaders);

    const upstreamPath = rewriteForUpstream(route, target, request.headers);
    request.headers.push(['host', authority]);
    const abort = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    const result = await router.forward({
      service: route.service,
      method,
      path: upstreamPath,
      headers: request.headers,
      body: hasBody(req) ? req : undefined,
      signal: abort.signal,
    });
    if (result.kind === 'local') {
      logger.warn({ requestId, upstream: route.service, cause: result.cause }, 'upstream request failed');
      if (res.destroyed) return;
      return reply(result.response);
    }
    const responseHeaders: HeaderList = [...result.headers, ...request.responseHeaders, ['x-request-id', requestId]];
    chain.encode(responseHeaders);
    await relay(result, responseHeaders, res, method);
  }

  const safely = (listener: ListenerName, scheme: 'http' | 'https') => (req: IncomingMessage, res: ServerResponse) => {
    handle(listener, scheme, req, res).catch((error: unknown) => {
      logger.error({ err: { message: error instanceof Error ? error.message : String(error) } }, 'gateway: request failed');
      if (!res.headersSent) {
        const headers: HeaderList = [['content-type', 'text/plain; charset=utf-8']];
        stages.chains[listener].encode(headers);
        res.writeHead(500, toNodeHeaders(headers));
        res.end('internal gateway error\n');
      } else {
        res.destroy();
      }
    });
  };

  const timeouts = { ...GATEWAY_TIMEOUT_DEFAULTS, ...config.timeouts };
  const serverOptions = {
    headersTimeout: timeouts.requestHeadersMs,
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.connectionIdleMs,
    // Node checks the two request timeouts on this interval; short timeouts need a short check.
    connectionsCheckingInterval: Math.max(50, Math.min(30_000, ...[timeouts.requestHeadersMs, timeouts.requestMs].filter((ms) => ms > 0).map((ms) => ms / 4))),
  };
  // HTTP only redirects: the path is normalised, the host is ours (never the client's Host header).
  // It takes the same options: the check interval can only be set here, and Node's default (30 s)
  // let a client drip headers for half a minute past the limit.
  const redirectServer = createHttpServer(serverOptions, (req, res) => {
    const started = performance.now();
    const target = normaliseTarget(req.url) ?? '/';
    const port = httpsPort === 443 ? '' : `:${httpsPort}`;
    res.writeHead(301, { location: `https://${publicHost}${port}${target}`, 'content-length': '0' });
    res.end();
    writeAccessLog(logger, {
      listener: 'http',
      method: req.method ?? 'GET',
      path: target,
      status: 301,
      route: 'https-redirect',
      upstream: undefined,
      durationMs: performance.now() - started,
      requestId: '-',
      flag: undefined,
    });
  });
  const httpsServer = createHttpsServer({ key: config.tls.key, cert: config.tls.cert, ...serverOptions }, safely('external', 'https'));
  const internalServer = createHttpServer(serverOptions, safely('internal', 'http'));
  const servers = [redirectServer, httpsServer, internalServer];
  for (const server of servers) {
    server.keepAliveTimeout = timeouts.connectionIdleMs;
    server.headersTimeout = timeouts.requestHeadersMs;
    server.requestTimeout = timeouts.requestMs;
    server.timeout = timeouts.streamIdleMs; // a socket silent this long is closed
    answerContinueAtTheEdge(server);
  }

  const ports = {
    https: await listen(httpsServer, httpsPort, bind),
    http: 0,
    internal: 0,
  };
  httpsPort = ports.https;
  ports.http = await listen(redirectServer, config.ports?.http ?? GATEWAY_PORTS.http, bind);
  ports.internal = await listen(internalServer, config.ports?.internal ?? GATEWAY_PORTS.internal, bind);

  return {
    ports,
    urls: {
      https: `https://${publicHost}:${ports.https}`,
      http: `http://${publicHost}:${ports.http}`,
      internal: `http://${bind}:${ports.internal}`,
    },
    async configure(update) {
      const previous = stages;
      stages = buildStages({ ...stagesConfig, ...update }, stageOptions);
      stagesConfig = { ...stagesConfig, ...update };
      // Requests in flight keep the old pools until they finish; close() waits for them.
      void closeStages(previous);
    },
    async close() {
      await Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              server.close(() => resolve());
              server.closeAllConnections();
            }),
        ),
      );
      await closeStages(stages);
    },
  };
}

/**
 * `Expect: 100-continue` is the edge's to answer, as Envoy does with `proxy_100_continue` off (its
 * default): `100 Continue` at once, before any filter, then the request runs as any other and
 * `Expect` is not forwarded. Handled here rather than left to Node's implicit default, so the
 * behaviour is ours to see and keep.
 */
function answerContinueAtTheEdge(server: Server): void {
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    res.writeContinue();
    server.emit('request', req, res);
  });
}
