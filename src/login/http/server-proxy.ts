// sso-proxy: the endpoints only the SSO server can answer (session, session/refresh, logout/local,
// logout/frontchannel) reverse-proxied to the same path under the server's /oauth2 — method, query
// and body as they came, the answer (status, headers, Set-Cookie, body) streamed back.
//
// What goes to the server is an allowlist, not the browser's request: of the cookies only the
// session cookie (the app's other cookies are none of the server's business), and no X-Forwarded-*
// (nothing there may vouch for a client address). A POST is judged HERE, against the proxy's own
// origin — the browser's Origin names the app, which the server's same-origin check would refuse —
// and then sent as the server-to-server call it has become: without Origin and Sec-Fetch-Site.
// A GET keeps them, so the server still tells a page of the app from a foreign <img>.
import { lookup as dnsLookup } from 'node:dns';
import { Agent, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import { parseCookies } from '../cookies.ts';
import { endToEnd } from './forwarded.ts';
import { HttpError } from './errors.ts';
import { isSameOriginPost } from './request.ts';
import { sendJson } from './respond.ts';
import { serverEndpoint } from './sso-redirect.ts';

/** The request headers the server's session endpoints read. */
const PASSED_HEADERS = ['accept', 'accept-language', 'content-type', 'content-length', 'user-agent', 'x-request-id'];
/** What a browser says about where a request came from: kept on GET, judged here on POST. */
const BROWSER_CONTEXT = ['origin', 'sec-fetch-site', 'sec-fetch-mode', 'sec-fetch-dest'];
/** Above the server's own provider timeout (a refresh there waits for the provider). */
export const SERVER_TIMEOUT_MS = 15_000;

export const SERVER_DOWN_MESSAGE = 'The SSO server is not reachable right now. Please try again in a moment.';

/**
 * RFC 6761 §6.3: names under `localhost` are loopback. Browsers resolve them so, the system resolver
 * here may not — and the SSO server of a one-machine setup lives at e.g. http://sso.localhost:4180.
 */
const LOOPBACK_NAME = /(?:^|\.)localhost\.?$/i;

const lookup: LookupFunction = (hostname, options, callback) => {
  if (!LOOPBACK_NAME.test(hostname)) return dnsLookup(hostname, options, callback);
  if (options.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
  else callback(null, '127.0.0.1', 4);
};

export interface ServerProxy {
  /** Forwards the request to `<server>/oauth2<subpath>` (same query) and streams the answer back. */
  forward(req: IncomingMessage, res: ServerResponse, url: URL, subpath: string): void;
  close(): void;
}

export function createServerProxy(options: { server: URL; appOrigin: string; cookieName: string; logger: Logger }): ServerProxy {
  const { server, appOrigin, cookieName, logger } = options;
  const secure = server.protocol === 'https:';
  const agent = secure ? new HttpsAgent({ keepAlive: true, lookup }) : new Agent({ keepAlive: true, lookup });
  const send = secure ? httpsRequest : httpRequest;

  function headersFor(req: IncomingMessage): OutgoingHttpHeaders {
    const incoming = endToEnd(req.headers);
    const browserRequest = req.method === 'GET' || req.method === 'HEAD';
    const headers: OutgoingHttpHeaders = { host: server.host };
    for (const name of [...PASSED_HEADERS, ...(browserRequest ? BROWSER_CONTEXT : [])]) {
      if (incoming[name] !== undefined) headers[name] = incoming[name];
    }
    const session = parseCookies(req.headers.cookie).filter(([name]) => name === cookieName);
    if (session.length) headers.cookie = session.map(([name, value]) => `${name}=${value}`).join('; ');
    return headers;
  }

  function unreachable(res: ServerResponse, reason: string): void {
    logger.warn({ server: server.origin, reason }, 'SSO server unreachable');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendJson(res, 502, { error: 'sso_server_unreachable', message: SERVER_DOWN_MESSAGE }, [], { 'retry-after': '5' });
  }

  return {
    forward(req, res, url, subpath) {
      if (req.method !== 'GET' && req.method !== 'HEAD' && !isSameOriginPost(req, appOrigin)) {
        throw new HttpError(403, 'cross_site_request', 'this must come from the application itself');
      }
      const target = new URL(serverEndpoint(server, subpath));
      target.search = url.search;
      const outgoing = send(target, { method: req.method, headers: headersFor(req), agent, timeout: SERVER_TIMEOUT_MS });
      outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer within ${SERVER_TIMEOUT_MS} ms`)));
      outgoing.on('response', (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.statusMessage, endToEnd(answer.headers));
        pipeline(answer, res).catch(() => res.destroy());
      });
      outgoing.on('error', (error) => unreachable(res, error.message));
      res.on('close', () => {
        if (!res.writableFinished) outgoing.destroy();
      });
      pipeline(req, outgoing).catch(() => outgoing.destroy());
    },
    close() {
      agent.destroy();
    },
  };
}
