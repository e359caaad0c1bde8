// feature-user-backend: `GET /me` tells the caller who they are, as the gateway told us;
// `POST /logout` expires the application's own cookies and hands the browser to the login service's
// logout (a 307 keeps it a POST), which ends the session, revokes the refresh token, clears its
// cookies and sends the browser through the provider's logout back to the home page.
import express from 'express';
import { callerOf, isSameOrigin, selectedOrganisation, supportedFeatures } from '../common/identity.ts';
import { listenApp, type RunningService } from '../common/listen.ts';
import { ORG_COOKIE_NAME_DEFAULT } from '../../topology/plugin-settings.ts';

export interface UserBackendConfig {
  port: number;
  /**
   * Cookies the application sets outside the login service, expired at logout with the same
   * name, domain (host-only) and path they were set with.
   */
  appCookies?: { name: string; path: string }[];
  /** The login service's logout endpoint, as the browser reaches it through the gateway. */
  loginLogoutPath?: string;
}

export const DEFAULT_APP_COOKIES = [{ name: ORG_COOKIE_NAME_DEFAULT, path: '/' }];

function expired(name: string, path: string): string {
  return `${name}=; Path=${path}; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; Secure; SameSite=Lax`;
}

export function createUserApp(config: UserBackendConfig): express.Express {
  const appCookies = config.appCookies ?? DEFAULT_APP_COOKIES;
  const logoutPath = config.loginLogoutPath ?? '/oauth2/logout';
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });

  app.get('/me', (req, res) => {
    const caller = callerOf(req);
    if (!caller) {
      res.status(401).json({ error: 'unauthenticated' });
      return;
    }
    const claim = (name: string) => (typeof caller.claims[name] === 'string' ? caller.claims[name] : null);
    res.set('cache-control', 'no-store').json({
      sub: caller.sub,
      email: claim('email'),
      username: claim('cognito:username'),
      userType: claim('userType'),
      organisation: selectedOrganisation(req) ?? null,
      features: supportedFeatures(req),
    });
  });

  app.post('/logout', (req, res) => {
    // A cross-site page must not be able to log a user out (SameSite=Lax already keeps the session
    // cookie off cross-site POSTs; this refuses the rest).
    if (!isSameOrigin(req)) {
      res.status(403).json({ error: 'cross_site', message: 'logout must come from the app' });
      return;
    }
    res.set('cache-control', 'no-store');
    res.append('set-cookie', appCookies.map(({ name, path }) => expired(name, path)));
    // 307: the browser repeats the POST (with the session cookie, untouched here) at the login service.
    res.redirect(307, logoutPath);
  });

  return app;
}

export async function startUserBackend(config: UserBackendConfig): Promise<RunningService> {
  return listenApp(createUserApp(config), config.port);
}
