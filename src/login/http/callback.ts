// GET <ingress>/oauth2/callback: the provider sends the browser back with a code; on success a
// fresh session and a 302 to the (re-checked) target. In the Wonderwall flavour a failure goes
// back to login a bounded number of times first (callback-retry.ts), then to the error page.
import { parseCookies } from '../cookies.ts';
import { endpointsPath } from '../ingress.ts';
import { CallbackRetries } from '../callback-retry.ts';
import type { Endpoint, HttpContext } from './context.ts';
import { failureExtras } from './errors.ts';
import { sendRedirect } from './respond.ts';

export interface CallbackEndpointOptions {
  /** Automatic retries before the error page (Wonderwall's; 0 in the ext_authz flavour). */
  retries: number;
}

export function callbackEndpoint({ core, config, logger }: HttpContext, options: CallbackEndpointOptions = { retries: 0 }): Endpoint {
  const retries = new CallbackRetries({ max: options.retries, secure: config.cookieSecure, maxAgeMs: config.loginStateMaxAgeMs });
  return {
    methods: ['GET'],
    loginStep: true,
    async handle({ req, res, url, ingress }) {
      const cookies = parseCookies(req.headers.cookie);
      const path = endpointsPath(ingress);
      const attempts = retries.attempts(cookies);
      let outcome;
      try {
        outcome = await core.completeLogin(cookies, url.search, ingress);
      } catch (error) {
        if (!retries.retries(error, attempts)) throw error;
        const extras = failureExtras(error);
        const code = (error as { code?: unknown }).code;
        logger.info({ code: typeof code === 'string' ? code : 'internal_error', attempt: attempts + 1, of: options.retries }, 'login callback failed; starting the login again');
        return sendRedirect(res, extras.retryUrl ?? core.loginUrl(null, ingress), [...extras.setCookies, retries.count(attempts + 1, path)]);
      }
      const setCookies = attempts > 0 ? [...outcome.setCookies, retries.clear(path)] : outcome.setCookies;
      sendRedirect(res, outcome.location, setCookies);
    },
  };
}
