// The hosted login: oidc-provider sends every authorization to `/interaction/:uid`, which shows the
// login page or, with a session already (SSO), goes straight on. Either way the trigger runs first,
// as Cognito runs it at every hosted login, and a fresh grant finishes the authorization.
import express, { type Request, type Response } from 'express';
import type Provider from 'oidc-provider';
import { errors } from 'oidc-provider';
import { OIDC_SCOPES } from '../../topology/waypoint.ts';
import { verifyPassword, type SeedUser } from '../seed/index.ts';
import type { PendingOverrides, RunTrigger } from './claims.ts';
import { loginPage } from './pages.ts';
import { PreTokenGenerationFailed, type Overrides } from './pretoken.ts';

const MAX_REMEMBERED_LOGINS = 10_000;

// Verified against when the email is unknown, so timing does not reveal which emails exist.
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

export interface InteractionsInput {
  provider: Provider;
  byId: ReadonlyMap<string, SeedUser>;
  byEmail: ReadonlyMap<string, SeedUser>;
  runTrigger: RunTrigger;
  pending: PendingOverrides;
}

export function addInteractionRoutes(app: express.Express, { provider, byId, byEmail, runTrigger, pending }: InteractionsInput): void {
  const form = express.urlencoded({ extended: false, limit: '8kb' });

  const clientName = async (clientId: string) => (await provider.Client.find(clientId))?.clientName ?? clientId;

  /** Login or SSO done: run the trigger, then finish with a fresh grant — or the error. */
  const completeAuthorization = async (req: Request, res: Response, user: SeedUser, withLogin: boolean) => {
    const details = await provider.interactionDetails(req, res);
    const clientId = String(details.params.client_id);
    const requested = String(details.params.scope ?? 'openid').split(' ').filter((scope) => OIDC_SCOPES.includes(scope));
    let overrides: Overrides | undefined;
    try {
      overrides = await runTrigger('TokenGeneration_HostedAuth', clientId, requested, user);
    } catch (error) {
      if (!(error instanceof PreTokenGenerationFailed)) throw error;
      // Cognito sends the browser back to the callback with the error.
      await provider.interactionFinished(req, res, { error: 'invalid_request', error_description: error.message }, { mergeWithLastSubmission: false });
      return;
    }
    const grant = new provider.Grant({ accountId: user.id, clientId });
    grant.addOIDCScope(requested.join(' '));
    const claims = details.params.claims ? (JSON.parse(String(details.params.claims)) as Record<string, Record<string, unknown>>) : undefined;
    if (claims) grant.addOIDCClaims([...Object.keys(claims.id_token ?? {}), ...Object.keys(claims.userinfo ?? {})]);
    const grantId = await grant.save();
    pending.byGrant.set(grantId, overrides);
    // Entries go when their grant is revoked or its session ends; this bounds the rest (grants
    // that simply expire) in a long-running harness. Map order is insertion order.
    if (pending.byGrant.size > MAX_REMEMBERED_LOGINS) pending.byGrant.delete(pending.byGrant.keys().next().value!);
    await provider.interactionFinished(
      req,
      res,
      {
        ...(withLogin ? { login: { accountId: user.id, amr: ['pwd'], remember: true } } : {}),
        consent: { grantId },
      },
      { mergeWithLastSubmission: withLogin },
    );
  };

  app.get('/interaction/:uid', async (req, res, next) => {
    try {
      const details = await provider.interactionDetails(req, res);
      if (details.uid !== req.params.uid) throw new errors.SessionNotFound('interaction mismatch');
      res.set('cache-control', 'no-store');
      if (details.prompt.name === 'login') {
        res.type('html').send(loginPage({ action: `/interaction/${details.uid}/login`, clientName: await clientName(String(details.params.client_id)), ...(typeof details.params.login_hint === 'string' ? { email: details.params.login_hint } : {}) }));
        return;
      }
      // Signed in already (SSO): Cognito issues new tokens without asking, trigger included.
      const user = details.session?.accountId ? byId.get(details.session.accountId) : undefined;
      if (!user) throw new errors.AccessDenied('unknown user');
      await completeAuthorization(req, res, user, false);
    } catch (error) {
      next(error);
    }
  });

  app.post('/interaction/:uid/login', form, async (req, res, next) => {
    try {
      const details = await provider.interactionDetails(req, res);
      if (details.uid !== req.params.uid || details.prompt.name !== 'login') throw new errors.SessionNotFound('interaction mismatch');
      const email = typeof req.body?.email === 'string' ? req.body.email.trim().toLowerCase() : '';
      const password = typeof req.body?.password === 'string' ? req.body.password : '';
      const user = byEmail.get(email);
      // Same answer and similar work for unknown users and wrong passwords.
      const ok = user ? await verifyPassword(password, user.passwordHash) : (await verifyPassword(password, DUMMY_HASH), false);
      if (!user || !ok) {
        res
          .status(401)
          .set('cache-control', 'no-store')
          .type('html')
          .send(loginPage({ action: `/interaction/${details.uid}/login`, clientName: await clientName(String(details.params.client_id)), email, error: 'Incorrect username or password.' }));
        return;
      }
      await completeAuthorization(req, res, user, true);
    } catch (error) {
      next(error);
    }
  });
}
