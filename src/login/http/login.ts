// GET <ingress>/oauth2/login: starts a login — a sealed state cookie and a 302 to the provider.
// The Wonderwall flavour also takes level, locale, prompt and domain_hint, and answers 401 JSON to
// a request that is not a page load (fetch/XHR could not follow the provider's pages).
import { parseCookies } from '../cookies.ts';
import { endpointUrl } from '../ingress.ts';
import type { Endpoint, HttpContext } from './context.ts';
import { loginParams } from './login-params.ts';
import { GET_OR_HEAD, isDocumentNavigation } from './request.ts';
import { sendJson, sendRedirect } from './respond.ts';

export interface LoginEndpointOptions {
  /** Wonderwall's query parameters and its navigation-only answer. */
  wonderwall: boolean;
}

export function loginEndpoint(ctx: HttpContext, options: LoginEndpointOptions): Endpoint {
  const { core } = ctx;
  return {
    methods: GET_OR_HEAD,
    loginStep: true,
    async handle({ req, res, url, ingress }) {
      if (options.wonderwall && !isDocumentNavigation(req, GET_OR_HEAD)) {
        return sendJson(res, 401, { error: 'navigation_required', message: 'open the login URL as a page (a redirect), not with fetch or XHR', login: endpointUrl(ingress, '/login') });
      }
      const target = url.searchParams.get('redirect');
      const extra = options.wonderwall ? loginParams(url.searchParams, core.oidc) : { params: {}, prompt: undefined };
      const cookies = parseCookies(req.headers.cookie);
      try {
        // Asking for the password again means the session here must not outlive the answer.
        const ended = extra.prompt === 'login' ? await core.endLocalSession(cookies) : [];
        const outcome = await core.beginLogin(cookies, target, { ingress, params: extra.params });
        return sendRedirect(res, outcome.location, [...ended, ...outcome.setCookies]);
      } catch (error) {
        // Provider or store down: the error page offers this same login again.
        throw Object.assign(error as Error, { retryUrl: core.loginUrl(target, ingress) });
      }
    },
  };
}
