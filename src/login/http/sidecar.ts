// The app side of a sidecar mode: every request that is not an endpoint goes to UPSTREAM_URL —
// with the identity the mode found for it (Bearer access token, optionally the ID token header), or
// as it came when there is none, unless autologin sends it to login first (page loads 302, the rest
// 401 with Location). Built from the reverse proxy (proxy.ts), the upstream headers (forwarded.ts)
// and the autologin rules (autologin.ts); both sidecars (standalone, sso-proxy) route through it.
// The mode says only how a request is identified and where its login is.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { LoginConfig } from '../config.ts';
import { ProviderUnavailableError } from '../errors.ts';
import { endpointsPath, matchIngress, type Ingress } from '../ingress.ts';
import type { LoginMetrics } from '../metrics.ts';
import { StoreUnavailableError } from '../store/types.ts';
import { AutoLogin } from './autologin.ts';
import { peerAddress, trustList, upstreamRequestHeaders, type ForwardingPolicy, type UpstreamIdentity } from './forwarded.ts';
import { createUpstreamProxy, rejectUpgrade } from './proxy.ts';
import { isDocumentNavigation, parseTarget } from './request.ts';
import { send, sendJson, sendRedirect } from './respond.ts';

export interface Identification {
  /** What the app is told about the user; undefined: nobody (the request goes as it came). */
  identity?: UpstreamIdentity;
  /** Set-Cookie lines for the browser (a re-issued or expired session cookie), if any. */
  setCookies: readonly string[];
}

export interface SidecarOptions {
  config: LoginConfig;
  logger: Logger;
  metrics: LoginMetrics;
  /** The service's own cookies, never passed to the app. */
  ownsCookie(name: string): boolean;
  /** Throws StoreUnavailableError or ProviderUnavailableError for a 503 (never an anonymous pass). */
  identify(req: IncomingMessage): Promise<Identification>;
  /** Where a request for `pathAndQuery` on `ingress` logs in (autologin's 302 and Location). */
  loginUrl(pathAndQuery: string, ingress: Ingress): string;
}

export interface Sidecar {
  request(req: IncomingMessage, res: ServerResponse, url: URL, ingress: Ingress): void;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL, ingress: Ingress): void;
  close(): void;
}

/** A request to a sidecar: the ingress it came in on and, for the service's own endpoints, the path below `<ingress>/oauth2`. */
export interface SidecarRoute {
  url: URL;
  ingress: Ingress;
  /** undefined: not an endpoint, the app's. */
  subpath?: string;
}

/** Routes a request target; undefined when it is not origin-form (a 400). */
export function routeSidecarRequest(config: LoginConfig, rawUrl: string): SidecarRoute | undefined {
  const url = parseTarget(rawUrl, config.appOrigin);
  if (!url) return undefined;
  const ingress = matchIngress(config.ingresses, url.pathname) ?? config.ingresses[0]!;
  const base = endpointsPath(ingress);
  const own = url.pathname === base || url.pathname.startsWith(`${base}/`);
  return { url, ingress, subpath: own ? url.pathname.slice(base.length) : undefined };
}

/** A sidecar's upgrade handler: upgrades (WebSocket) go to the app; the service's own endpoints take none (404). */
export function upgradeToApp(config: LoginConfig, sidecar: Sidecar): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  return (req, socket, head) => {
    const routed = routeSidecarRequest(config, req.url ?? '/');
    if (!routed || routed.subpath !== undefined) {
      rejectUpgrade(socket, 404, 'Not Found', { 'content-type': 'application/json' }, JSON.stringify({ error: 'not_found' }));
      return;
    }
    sidecar.upgrade(req, socket, head, routed.url, routed.ingress);
  };
}

type Decision =
  | { kind: 'forward'; identification: Identification }
  | { kind: 'login'; location: string; navigation: boolean; setCookies: readonly string[] }
  | { kind: 'unavailable'; code: string };

export function createSidecar(options: SidecarOptions): Sidecar {
  const { config, logger, metrics } = options;
  if (!config.upstream) throw new Error(`${config.mode} mode needs UPSTREAM_URL`);
  const proxy = createUpstreamProxy(config.upstream, logger);
  const autoLogin = new AutoLogin(config.autoLogin.enabled, config.autoLogin.ignorePaths);
  const policy: ForwardingPolicy = {
    appOrigin: config.appOrigin,
    trusted: trustList(config.trustedProxies),
    idTokenHeader: config.upstreamIdToken.header,
    ownsCookie: options.ownsCookie,
  };

  async function decide(req: IncomingMessage, url: URL, ingress: Ingress): Promise<Decision> {
    const started = performance.now();
    let result = 'error';
    try {
      const identification = await options.identify(req);
      if (identification.identity || !autoLogin.applies(url.pathname)) {
        result = identification.identity ? 'allowed' : 'anonymous';
        return { kind: 'forward', identification };
      }
      const navigation = isDocumentNavigation(req);
      result = navigation ? 'redirected' : 'unauthorized';
      return { kind: 'login', location: options.loginUrl(`${url.pathname}${url.search}`, ingress), navigation, setCookies: identification.setCookies };
    } catch (error) {
      if (error instanceof StoreUnavailableError) metrics.storeErrors.inc();
      const code = error instanceof StoreUnavailableError ? 'session_store_unavailable' : error instanceof ProviderUnavailableError ? error.code : 'internal_error';
      logger.error({ code, reason: error instanceof Error ? error.message : String(error) }, 'session check failed');
      return { kind: 'unavailable', code };
    } finally {
      metrics.checks.inc({ result });
      metrics.checkDuration.observe({ result }, (performance.now() - started) / 1000);
    }
  }

  function headersFor(req: IncomingMessage, identification: Identification, upgrade = false) {
    return upstreamRequestHeaders(req.headers, peerAddress(req.socket.remoteAddress), policy, identification.identity, upgrade);
  }

  return {
    request(req, res, url, ingress) {
      void decide(req, url, ingress).then((decision) => {
        if (decision.kind === 'unavailable') {
          req.resume();
          return sendJson(res, 503, { error: decision.code }, [], { 'retry-after': '5' });
        }
        if (decision.kind === 'login') {
          req.resume();
          if (decision.navigation) return sendRedirect(res, decision.location, decision.setCookies);
          // Wonderwall's answer to a script: 401 with where to log in, so it can send the page there.
          return sendJson(res, 401, { error: 'unauthenticated', login: decision.location }, decision.setCookies, { location: decision.location });
        }
        proxy.forward(req, res, headersFor(req, decision.identification), decision.identification.setCookies);
      }, () => send(res, 500, {}, ''));
    },

    upgrade(req, socket, head, url, ingress) {
      void decide(req, url, ingress).then((decision) => {
        if (decision.kind === 'unavailable') {
          rejectUpgrade(socket, 503, 'Service Unavailable', { 'content-type': 'application/json' }, JSON.stringify({ error: decision.code }));
        } else if (decision.kind === 'login') {
          rejectUpgrade(socket, 401, 'Unauthorized', { 'content-type': 'application/json', location: decision.location }, JSON.stringify({ error: 'unauthenticated', login: decision.location }));
        } else {
          proxy.upgrade(req, socket, head, headersFor(req, decision.identification, true));
        }
      });
    },

    close() {
      proxy.close();
    },
  };
}
