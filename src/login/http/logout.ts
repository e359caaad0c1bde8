// Logout endpoints: <ingress>/oauth2/logout (here and at the provider), /logout/local (here only)
// and /logout/callback (the provider sends the browser back). POST must be same-origin. A GET
// needs the session's logout_csrf — or, in the Wonderwall flavour, a page load that no other site
// caused (Wonderwall lets any GET log out; a foreign <img> or link must not).
import type { IncomingMessage } from 'node:http';
import { parseCookies } from '../cookies.ts';
import { safeEqual } from '../crypto.ts';
import { endpointUrl } from '../ingress.ts';
import { formPostPage } from '../pages.ts';
import type { Session } from '../session.ts';
import type { Endpoint, Exchange, HttpContext } from './context.ts';
import { HttpError } from './errors.ts';
import { GET_OR_HEAD, isDocumentNavigation, isGetOrHead, isSameOriginPost, isSameSiteGet, readForm } from './request.ts';
import { sendJson, sendNoContent, sendPage, sendRedirect } from './respond.ts';

export interface LogoutEndpointOptions {
  /** End the provider's session too (logout), or only this one (logout/local). */
  provider: boolean;
  wonderwall: boolean;
}

/** Why a GET logout is refused, or undefined when it may go ahead. */
function refuseGet(req: IncomingMessage, session: Session | undefined, csrf: string | null, ctx: HttpContext, wonderwall: boolean): HttpError | undefined {
  if (!session) return undefined;
  if (csrf && safeEqual(csrf, ctx.core.sessions.csrfToken(session))) return undefined;
  if (wonderwall && isSameSiteGet(req)) return undefined;
  return new HttpError(403, 'csrf_required', 'logging out by GET needs the csrf parameter from /oauth2/session; or POST from the application');
}

async function endSession(ctx: HttpContext, { req, url, ingress }: Exchange, options: LogoutEndpointOptions) {
  const { core, config } = ctx;
  let target = url.searchParams.get('redirect');
  let csrf = url.searchParams.get('csrf');
  if (req.method === 'POST') {
    if (!isSameOriginPost(req, config.appOrigin)) throw new HttpError(403, 'cross_site_logout', 'logout must come from the application itself');
    const form = await readForm(req);
    target = form.get('redirect') ?? target;
    csrf = null;
  }
  const session = await core.currentSession(parseCookies(req.headers.cookie));
  // A HEAD logs out as its GET would, so it passes the same checks.
  if (isGetOrHead(req)) {
    const refused = refuseGet(req, session, csrf, ctx, options.wonderwall);
    if (refused) throw refused;
  }
  return core.logout(session, target, options.provider, ingress);
}

export function logoutEndpoint(ctx: HttpContext, options: LogoutEndpointOptions): Endpoint {
  return {
    methods: [...GET_OR_HEAD, 'POST'],
    async handle(exchange) {
      const { req, res, ingress } = exchange;
      // Wonderwall's logout is a page the browser is sent to; its local logout is for fetch/XHR.
      if (options.wonderwall && options.provider && isGetOrHead(req) && !isDocumentNavigation(req, GET_OR_HEAD)) {
        return sendJson(res, 401, { error: 'navigation_required', message: 'open the logout URL as a page (a redirect), not with fetch or XHR', logout: endpointUrl(ingress, '/logout') });
      }
      const outcome = await endSession(ctx, exchange, options);
      if (outcome.endSession.kind === 'form') {
        return sendPage(res, 200, formPostPage(outcome.endSession.action, outcome.endSession.fields, ctx.config.appOrigin), outcome.setCookies);
      }
      if (outcome.endSession.kind === 'redirect') return sendRedirect(res, outcome.endSession.url, outcome.setCookies);
      // Wonderwall answers a local logout with 204: the caller is a script, not a page.
      if (options.wonderwall && !options.provider) return sendNoContent(res, outcome.setCookies);
      return sendRedirect(res, outcome.target, outcome.setCookies);
    },
  };
}

export function logoutCallbackEndpoint({ core }: HttpContext): Endpoint {
  return {
    methods: ['GET'],
    async handle({ req, res, ingress }) {
      const outcome = core.finishLogout(parseCookies(req.headers.cookie), ingress);
      sendRedirect(res, outcome.location, outcome.setCookies);
    },
  };
}
