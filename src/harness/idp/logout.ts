// Signing out, Cognito's way: `/logout?client_id&logout_uri` (to a registered sign-out URL) next to
// OIDC end-session, and both end the provider session at once, without a confirmation page:
// grants revoked, session destroyed, cookie gone.
import type express from 'express';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { PendingOverrides } from './claims.ts';
import { COOKIE_OPTIONS } from './config.ts';
import { errorPage } from './pages.ts';

interface SessionLike {
  authorizations?: Record<string, { grantId?: string }>;
  state?: { secret?: string; postLogoutRedirectUri?: string; state?: unknown; clientId?: string };
  destroy(): Promise<void>;
}

export function addCognitoLogout(app: express.Express, provider: Provider, pending: PendingOverrides): void {
  /** Ends the provider session on this request: grants revoked, session destroyed, cookie gone. */
  const endSession = async (ctx: KoaContextWithOIDC, session: SessionLike) => {
    for (const { grantId } of Object.values(session.authorizations ?? {})) {
      if (!grantId) continue;
      await Promise.all([
        provider.AccessToken.revokeByGrantId(grantId),
        provider.RefreshToken.revokeByGrantId(grantId),
        provider.AuthorizationCode.revokeByGrantId(grantId),
        provider.Grant.adapter.destroy(grantId),
      ]);
      pending.byGrant.delete(grantId);
    }
    await session.destroy();
    ctx.cookies.set(provider.cookieName('session'), null, { ...COOKIE_OPTIONS, overwrite: true });
  };

  // OIDC end-session without the confirmation page: oidc-provider validated id_token_hint,
  // client_id and post_logout_redirect_uri and rendered its form; instead of asking the user,
  // the session ends now and the browser goes on, like Cognito's logout.
  provider.use(async (ctx, next) => {
    await next();
    const state = (ctx.oidc?.session as SessionLike | undefined)?.state;
    if (ctx.oidc?.route !== 'end_session' || ctx.status !== 200 || !state?.secret) return;
    await endSession(ctx as KoaContextWithOIDC, ctx.oidc.session as unknown as SessionLike);
    const target = state.postLogoutRedirectUri ? new URL(state.postLogoutRedirectUri) : new URL(ctx.oidc.urlFor('end_session_success'));
    if (state.postLogoutRedirectUri && state.state != null) target.searchParams.set('state', String(state.state));
    ctx.status = 303;
    ctx.redirect(target.href);
  });

  // Cognito's logout endpoint: ends the session and redirects to a registered sign-out URL.
  app.get('/logout', async (req, res, next) => {
    try {
      const clientId = typeof req.query.client_id === 'string' ? req.query.client_id : undefined;
      const logoutUri = typeof req.query.logout_uri === 'string' ? req.query.logout_uri : undefined;
      const client = clientId ? await provider.Client.find(clientId) : undefined;
      if (!client) {
        res.status(400).type('html').send(errorPage('Sign-out error', { error: 'invalid_request', error_description: 'client_id is missing or unknown' }));
        return;
      }
      if (!logoutUri || !client.postLogoutRedirectUriAllowed(logoutUri)) {
        res.status(400).type('html').send(errorPage('Sign-out error', { error: 'invalid_request', error_description: 'logout_uri is not a registered sign-out URL of this client' }));
        return;
      }
      const ctx = provider.createContext(req, res) as unknown as KoaContextWithOIDC;
      const session = (await provider.Session.get(ctx)) as unknown as SessionLike;
      await endSession(ctx, session);
      res.set('cache-control', 'no-store').redirect(302, logoutUri);
    } catch (error) {
      next(error);
    }
  });
}
