// GET <ingress>/oauth2/callback: the provider sends the browser back with a code; on success a
// fresh session and a 302 to the (re-checked) target.
import { parseCookies } from '../cookies.ts';
import type { Endpoint, HttpContext } from './context.ts';
import { sendRedirect } from './respond.ts';

export function callbackEndpoint({ core }: HttpContext): Endpoint {
  return {
    methods: ['GET'],
    loginStep: true,
    async handle({ req, res, url, ingress }) {
      const outcome = await core.completeLogin(parseCookies(req.headers.cookie), url.search, ingress);
      sendRedirect(res, outcome.location, outcome.setCookies);
    },
  };
}
