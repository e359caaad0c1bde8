// GET <ingress>/oauth2/logout/frontchannel?sid=…[&iss=…] (OpenID Connect Front-Channel Logout, as
// Wonderwall serves it): the provider, ending its session `sid`, loads this URL in a hidden iframe
// of its logout page; every session here logged in under that sid ends. The iframe is cross-site,
// so the browser sends no session cookie with it (SameSite=Lax): the sid alone finds the sessions,
// through the index the store keeps (session.ts). 200 with an empty body, never cached; 202 when
// the store is down and the logout is retried in the background (logout-retry.ts).
//
// Anyone can load this URL; what it needs is the sid, which only the provider and the ID token's
// holders know. The sid is hostile input: one value, bounded, printable ASCII. When the provider
// also sends `iss`, it must be this service's issuer (the spec's check against a foreign one).
import type { Endpoint, HttpContext } from './context.ts';
import { HttpError } from './errors.ts';
import { send } from './respond.ts';

/** Printable ASCII without space, quote or backslash, at most 256: enough for any provider's ids. */
const SID = /^[\x21\x23-\x5b\x5d-\x7e]{1,256}$/;

function sameIssuer(iss: string, issuer: URL): boolean {
  const ours = issuer.href.replace(/\/$/, '');
  return iss === ours || iss === `${ours}/`;
}

export function frontChannelLogoutEndpoint({ core, config }: HttpContext): Endpoint {
  return {
    methods: ['GET'],
    async handle({ res, url }) {
      const sids = url.searchParams.getAll('sid');
      const sid = sids[0];
      if (sids.length !== 1 || sid === undefined || !SID.test(sid)) {
        throw new HttpError(400, 'invalid_sid', 'front-channel logout needs one sid parameter: the provider session to end');
      }
      const issuers = url.searchParams.getAll('iss');
      if (issuers.length > 1 || (issuers.length === 1 && !sameIssuer(issuers[0]!, config.issuer))) {
        throw new HttpError(400, 'invalid_issuer', 'the iss parameter is not this service\'s identity provider');
      }
      // 202: the store is down and the logout waits for it (the iframe never loads it twice).
      send(res, (await core.frontChannelLogout(sid)) === 'ended' ? 200 : 202, {});
    },
  };
}
