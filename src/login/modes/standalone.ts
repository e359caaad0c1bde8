// The standalone sidecar (Wonderwall's default mode): a reverse proxy in front of one app. The
// Wonderwall-shaped endpoints live under <ingress>/oauth2 for every ingress; every other request
// goes to UPSTREAM_URL — with the session's access token as a Bearer (refreshed as requests
// arrive), or as it came when there is no session, unless autologin sends it to login first.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { parseCookies } from '../cookies.ts';
import type { Authentication } from '../core.ts';
import { ProviderUnavailableError } from '../errors.ts';
import { AutoLogin } from '../http/autologin.ts';
import type { HttpContext } from '../http/context.ts';
import { wonderwallEndpoints } from '../http/endpoints.ts';
import { peerAddress, trustList, upstreamRequestHeaders, type ForwardingPolicy } from '../http/forwarded.ts';
import { createUpstreamProxy, rejectUpgrade } from '../http/proxy.ts';
import { isDocumentNavigation, parseTarget } from '../http/request.ts';
import { send, sendJson, sendRedirect } from '../http/respond.ts';
import { createEndpointRouter } from '../http/router.ts';
import { endpointsPath, matchIngress, type Ingress } from '../ingress.ts';
import { StoreUnavailableError } from '../store/types.ts';
import type { ModeHandlers } from './types.ts';

type Decision =
  | { kind: 'forward'; auth: Authentication }
  | { kind: 'login'; location: string; navigation: boolean; setCookies: string[] }
  | { kind: 'unavailable'; code: string };

export function standaloneMode(ctx: HttpContext): ModeHandlers {
  const { config, core, logger, metrics } = ctx;
  if (!config.upstream) throw new Error('standalone mode needs UPSTREAM_URL');
  const endpoints = createEndpointRouter(ctx, wonderwallEndpoints(ctx));
  const proxy = createUpstreamProxy(config.upstream, logger);
  const autoLogin = new AutoLogin(config.autoLogin.enabled, config.autoLogin.ignorePaths);
  const policy: ForwardingPolicy = {
    appOrigin: config.appOrigin,
    trusted: trustList(config.trustedProxies),
    idTokenHeader: config.upstreamIdToken.header,
    ownsCookie: (name) => core.ownsCookie(name),
  };

  function route(req: IncomingMessage): { url: URL; ingress: Ingress; subpath?: string } | undefined {
    const url = parseTarget(req.url ?? '/', config.appOrigin);
    if (!url) return undefined;
    const ingress = matchIngress(config.ingresses, url.pathname) ?? config.ingresses[0]!;
    const base = endpointsPath(ingress);
    const own = url.pathname === base || url.pathname.startsWith(`${base}/`);
    return { url, ingress, subpath: own ? url.pathname.slice(base.length) : undefined };
  }

  async function decide(req: IncomingMessage, url: URL, ingress: Ingress): Promise<Decision> {
    const started = performance.now();
    let result = 'error';
    try {
      const auth = await core.authenticate(parseCookies(req.headers.cookie));
      if (auth.kind === 'allow' || !autoLogin.applies(url.pathname)) {
        result = auth.kind === 'allow' ? 'allowed' : 'anonymous';
        return { kind: 'forward', auth };
      }
      const navigation = isDocumentNavigation(req);
      result = navigation ? 'redirected' : 'unauthorized';
      return { kind: 'login', location: core.loginUrl(`${url.pathname}${url.search}`, ingress), navigation, setCookies: auth.setCookies };
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

  function headersFor(req: IncomingMessage, auth: Authentication, upgrade = false) {
    const identity =
      auth.kind === 'allow'
        ? { accessToken: auth.session.record.tokens.accessToken, idToken: config.upstreamIdToken.include ? auth.session.record.tokens.idToken : undefined }
        : undefined;
    return upstreamRequestHeaders(req.headers, peerAddress(req.socket.remoteAddress), policy, identity, upgrade);
  }

  function answerLogin(res: ServerResponse, decision: Extract<Decision, { kind: 'login' }>): void {
    if (decision.navigation) return sendRedirect(res, decision.location, decision.setCookies);
    // Wonderwall's answer to a script: 401 with where to log in, so it can send the page there.
    sendJson(res, 401, { error: 'unauthenticated', login: decision.location }, decision.setCookies, { location: decision.location });
  }

  return {
    request(req, res) {
      const routed = route(req);
      if (!routed) return sendJson(res, 400, { error: 'bad_request_target' });
      const { url, ingress, subpath } = routed;
      if (subpath !== undefined) return endpoints({ req, res, url, ingress }, subpath);
      void decide(req, url, ingress).then((decision) => {
        if (decision.kind === 'unavailable') {
          req.resume();
          return sendJson(res, 503, { error: decision.code }, [], { 'retry-after': '5' });
        }
        if (decision.kind === 'login') {
          req.resume();
          return answerLogin(res, decision);
        }
        proxy.forward(req, res, headersFor(req, decision.auth), decision.auth.setCookies);
      }, () => send(res, 500, {}, ''));
    },

    upgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
      const routed = route(req);
      if (!routed || routed.subpath !== undefined) {
        rejectUpgrade(socket, 404, 'Not Found', { 'content-type': 'application/json' }, JSON.stringify({ error: 'not_found' }));
        return;
      }
      void decide(req, routed.url, routed.ingress).then((decision) => {
        if (decision.kind === 'unavailable') {
          rejectUpgrade(socket, 503, 'Service Unavailable', { 'content-type': 'application/json' }, JSON.stringify({ error: decision.code }));
        } else if (decision.kind === 'login') {
          const body = JSON.stringify({ error: 'unauthenticated', login: decision.location });
          rejectUpgrade(socket, 401, 'Unauthorized', { 'content-type': 'application/json', location: decision.location }, body);
        } else {
          proxy.upgrade(req, socket, head, headersFor(req, decision.auth, true));
        }
      });
    },

    close() {
      proxy.close();
    },
  };
}
