// The identity provider stand-in: oidc-provider shaped like a Cognito user pool.
//
// What makes it Cognito and not just an OIDC server:
// - issuer `<publicUrl>/<userPoolId>`, JWKS at `<issuer>/.well-known/jwks.json`, `/oauth2/*` endpoints;
// - ID tokens with `cognito:username`, `token_use: id`, `cognito:groups`, `aud` = app client id;
// - client-credentials access tokens are RS256 JWTs with `token_use: access`, `client_id`, `scope`;
// - the Pre Token Generation trigger runs on every token issue (hosted login, refresh and, with V3,
//   client credentials) and its answer changes the tokens; a failing trigger fails the issue;
// - `/logout?client_id&logout_uri` next to OIDC end-session, both ending the session at once.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Request, type Response } from 'express';
import Provider, { errors, type Configuration, type KoaContextWithOIDC, type ClientMetadata, type UnknownObject } from 'oidc-provider';
import {
  createHandler,
  type EnrichmentHandler,
  type EnrichmentSettings,
  type PreTokenGenerationHandler,
  type TriggerSource,
} from '../../enrichment/index.ts';
import { loadSeed, verifyPassword, type SeedUser } from '../seed/index.ts';
import { ONBOARDING_SCOPE } from '../onboarding/index.ts';
import { loadOrCreateSigningKeys } from './keys.ts';
import { errorPage, loginPage, signedOutPage } from './pages.ts';
import {
  applyToIdClaims,
  buildEvent,
  COGNITO_TRIGGER_TIMEOUT_MS,
  invokeTrigger,
  PreTokenGenerationFailed,
  type EventVersion,
  type Overrides,
} from './pretoken.ts';

export { buildEvent, overridesFrom, invokeTrigger, applyToIdClaims, PreTokenGenerationFailed, type Overrides, type EventVersion } from './pretoken.ts';

/** Default data folder: `.data/` at the repository root (gitignored). */
export const DEFAULT_DATA_DIR = new URL('../../../.data/', import.meta.url).pathname;
export const DEFAULT_USER_POOL_ID = 'eu-west-1_OneConnect';
/** The resource indicator behind the onboarding scope (the `aud` of M2M tokens). */
export const ONBOARDING_RESOURCE = 'urn:oneconnect:onboarding';

export interface AppClientOptions {
  clientId: string;
  /** Omit for a public client (PKCE only). */
  clientSecret?: string;
  /** Default `client_secret_basic` with a secret, `none` without. */
  tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post' | 'none';
  redirectUris: string[];
  /** Cognito's "sign-out URLs": allowed `post_logout_redirect_uri` and `/logout?logout_uri`. */
  postLogoutRedirectUris?: string[];
  name?: string;
}

export interface M2mClientOptions {
  clientId: string;
  clientSecret: string;
  /** Default [`onboarding/read`]. */
  scopes?: string[];
}

export interface EnrichmentOptions {
  /** Trigger event version (Cognito's V1_0 / V2_0 / V3_0). Default '2'. */
  version?: EventVersion;
  /** A handler to call instead of building one from `settings`. */
  handler?: PreTokenGenerationHandler;
  /**
   * Settings for src/enrichment's handler. `tokenUrl`, `clientId` and `clientSecret` default to
   * this provider's token endpoint and M2M client, known only once it listens.
   */
  settings?: Partial<EnrichmentSettings>;
  /** Cognito's trigger timeout (default 5000 ms). */
  timeoutMs?: number;
  /** Log sink for the built handler (default stdout). */
  write?: (line: string) => void;
}

export interface IdentityProviderOptions {
  /** Port on `host`; 0 (default) picks a free one. Topology default: 9000. */
  port?: number;
  /** Listen address, default 127.0.0.1. */
  host?: string;
  /** The origin browsers and relying parties use; default `http://127.0.0.1:<port>`. */
  publicUrl?: string;
  /** Cognito user pool id: the issuer's path and the event's `userPoolId`/`region`. */
  userPoolId?: string;
  /** Where the signing key lives, default DEFAULT_DATA_DIR. */
  dataDir?: string;
  /** Users (default: the demo seed file), or the path of a seed file. */
  users?: readonly SeedUser[] | string;
  clients: { app: AppClientOptions; m2m?: M2mClientOptions };
  /** The Pre Token Generation trigger; omitted = no trigger configured. */
  enrichment?: EnrichmentOptions;
  /** Lifetimes in seconds (Cognito defaults: 1 h tokens, 30 d refresh, 5 min codes, 1 h session). */
  ttl?: { accessToken?: number; idToken?: number; refreshToken?: number; m2mAccessToken?: number; session?: number };
  /** Keys for signing cookies; default random per start (sessions live in memory anyway). */
  cookieKeys?: string[];
}

export interface RunningIdentityProvider {
  issuer: string;
  /** publicUrl: the login page, `/logout` and the provider are under it. */
  url: string;
  tokenEndpoint: string;
  jwksUri: string;
  /** Cognito-style logout: `${logoutUrl}?client_id=…&logout_uri=…`. */
  logoutUrl: string;
  /** The handler built from `enrichment.settings` (its M2M token cache is observable). */
  enrichment?: EnrichmentHandler;
  /** Successful token responses per grant type (`authorization_code`, `refresh_token`, `client_credentials`). */
  tokenGrants(grantType: string): number;
  provider: Provider;
  close(): Promise<void>;
}

interface TriggerConfig {
  version: EventVersion;
  handler: PreTokenGenerationHandler;
  timeoutMs: number;
}

const OIDC_SCOPES = ['openid', 'email', 'profile', 'offline_access'];
const MAX_REMEMBERED_LOGINS = 10_000;

function userClaims(user: SeedUser, use: string): Record<string, unknown> {
  return {
    sub: user.id,
    email: user.email,
    email_verified: user.emailVerified,
    'cognito:username': user.username,
    ...(use === 'id_token' ? { token_use: 'id' } : {}),
    ...(user.groups.length > 0 ? { 'cognito:groups': [...user.groups] } : {}),
  };
}

export async function startIdentityProvider(options: IdentityProviderOptions): Promise<RunningIdentityProvider> {
  const host = options.host ?? '127.0.0.1';
  const userPoolId = options.userPoolId ?? DEFAULT_USER_POOL_ID;
  if (!/^[\w-]+_[0-9A-Za-z]+$/.test(userPoolId)) throw new Error(`userPoolId ${userPoolId} is not <region>_<id>`);
  const users = typeof options.users === 'string' || options.users === undefined ? loadSeed(options.users) : [...options.users];
  const byId = new Map(users.map((user) => [user.id, user]));
  const byEmail = new Map(users.map((user) => [user.email.toLowerCase(), user]));
  const { app: appClient, m2m } = options.clients;
  const m2mScopes = m2m?.scopes ?? [ONBOARDING_SCOPE];
  const ttl = options.ttl ?? {};

  // Listen first: the issuer contains the port when it was ephemeral.
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = (options.publicUrl ?? `http://${host}:${port}`).replace(/\/+$/, '');
  const issuer = `${url}/${userPoolId}`;
  const tokenEndpoint = `${issuer}/oauth2/token`;
  const jwksUri = `${issuer}/.well-known/jwks.json`;

  try {
    const jwks = await loadOrCreateSigningKeys(options.dataDir ?? DEFAULT_DATA_DIR);

    let enrichment: EnrichmentHandler | undefined;
    let trigger: TriggerConfig | undefined;
    if (options.enrichment) {
      const { version = '2', handler, settings, timeoutMs = COGNITO_TRIGGER_TIMEOUT_MS } = options.enrichment;
      if (!['1', '2', '3'].includes(version)) throw new Error(`enrichment.version must be '1', '2' or '3'`);
      if (!handler && !settings) throw new Error('enrichment needs a handler or settings');
      if (!handler) {
        enrichment = createHandler(
          {
            tokenUrl: tokenEndpoint,
            ...(m2m ? { clientId: m2m.clientId, clientSecret: m2m.clientSecret, scope: m2mScopes.join(' ') } : {}),
            ...settings,
          },
          options.enrichment.write ? { write: options.enrichment.write } : {},
        );
      }
      trigger = { version, handler: handler ?? enrichment!, timeoutMs };
    }

    // What the trigger answered at login, by grant (each login makes a fresh grant), for the code
    // exchange; and what applies to the token response being built, by request context.
    const loginOverrides = new Map<string, Overrides | undefined>();
    const requestOverrides = new WeakMap<object, Overrides | undefined>();

    const runTrigger = async (triggerSource: TriggerSource, clientId: string, scopes: string[], user?: SeedUser) => {
      if (!trigger) return undefined;
      const event = buildEvent({ version: trigger.version, triggerSource, userPoolId, clientId, scopes, ...(user ? { user } : {}) });
      const { overrides } = await invokeTrigger(trigger.handler, event, trigger.timeoutMs);
      return overrides;
    };

    const clients: ClientMetadata[] = [
      {
        client_id: appClient.clientId,
        ...(appClient.clientSecret ? { client_secret: appClient.clientSecret } : {}),
        client_name: appClient.name ?? appClient.clientId,
        token_endpoint_auth_method: appClient.tokenEndpointAuthMethod ?? (appClient.clientSecret ? 'client_secret_basic' : 'none'),
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: appClient.redirectUris,
        post_logout_redirect_uris: appClient.postLogoutRedirectUris ?? [],
        scope: OIDC_SCOPES.join(' '),
        require_auth_time: true,
        id_token_signed_response_alg: 'RS256',
      },
    ];
    if (m2m) {
      clients.push({
        client_id: m2m.clientId,
        client_secret: m2m.clientSecret,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        scope: m2mScopes.join(' '),
      });
    }

    const cookieOptions = { httpOnly: true, sameSite: 'lax' as const, path: '/' };

    const configuration: Configuration = {
      clients,
      jwks: jwks as Configuration['jwks'],
      cookies: {
        keys: options.cookieKeys ?? [randomBytes(32).toString('base64url')],
        long: { ...cookieOptions },
        short: { ...cookieOptions },
      },
      routes: {
        authorization: '/oauth2/authorize',
        token: '/oauth2/token',
        userinfo: '/oauth2/userInfo',
        revocation: '/oauth2/revoke',
        jwks: '/.well-known/jwks.json',
        end_session: '/oauth2/endsession',
      },
      scopes: [...OIDC_SCOPES, ...(m2m ? m2mScopes : [])],
      claims: {
        openid: ['sub', 'cognito:username', 'token_use', 'cognito:groups'],
        email: ['email', 'email_verified'],
        profile: [],
      },
      // Scope claims go into the ID token, as Cognito's do (no claims parameter needed).
      conformIdTokenClaims: false,
      pkce: { required: () => true },
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        revocation: { enabled: true },
        userinfo: { enabled: true },
        rpInitiatedLogout: {
          enabled: true,
          // Never rendered as such: the session ends without a confirmation (see below).
          logoutSource: async (ctx, form) => {
            ctx.body = `<!doctype html><title>Signing out</title>${form}`;
          },
          postLogoutSuccessSource: async (ctx) => {
            ctx.type = 'html';
            ctx.body = signedOutPage();
          },
        },
        resourceIndicators: {
          enabled: true,
          defaultResource: (ctx) => (m2m && ctx.oidc.client?.clientId === m2m.clientId ? ONBOARDING_RESOURCE : undefined),
          useGrantedResource: () => false,
          getResourceServerInfo: (ctx, indicator, client) => {
            if (m2m && indicator === ONBOARDING_RESOURCE && client.clientId === m2m.clientId) {
              return {
                scope: m2mScopes.join(' '),
                accessTokenFormat: 'jwt',
                accessTokenTTL: ttl.m2mAccessToken ?? 3600,
                jwt: { sign: { alg: 'RS256' } },
              };
            }
            throw new errors.InvalidTarget();
          },
        },
      },
      ttl: {
        AccessToken: ttl.accessToken ?? 3600,
        IdToken: ttl.idToken ?? 3600,
        RefreshToken: ttl.refreshToken ?? 30 * 24 * 3600,
        ClientCredentials: ttl.m2mAccessToken ?? 3600,
        AuthorizationCode: 300,
        Interaction: 600,
        Session: ttl.session ?? 3600,
        Grant: ttl.refreshToken ?? 30 * 24 * 3600,
      },
      // Cognito neither rotates refresh tokens nor ties them to the hosted-UI session, and issues
      // one with every code exchange (no offline_access needed).
      rotateRefreshToken: false,
      expiresWithSession: () => false,
      issueRefreshToken: (_ctx, client, source) => client.grantTypeAllowed('refresh_token') && source.kind === 'AuthorizationCode',
      // Every authorization goes through an interaction (a fresh grant), because Cognito runs the
      // trigger at every hosted login, also when the session cookie skips the password.
      loadExistingGrant: async (ctx) => {
        const grantId = ctx.oidc.result?.consent?.grantId;
        return grantId ? ctx.oidc.provider.Grant.find(grantId) : undefined;
      },
      interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
      findAccount: async (ctx, sub, token) => {
        const user = byId.get(sub);
        if (!user) return undefined;
        if (ctx.oidc?.route === 'token' && token) {
          if (token.kind === 'AuthorizationCode') {
            requestOverrides.set(ctx, loginOverrides.get(String(token.grantId)));
          } else if (token.kind === 'RefreshToken') {
            // Cognito runs the trigger for refreshes too; a failure fails the refresh.
            const refreshToken = token as unknown as { grantId: string; clientId: string; scope?: string };
            try {
              const overrides = await runTrigger('TokenGeneration_RefreshTokens', refreshToken.clientId, (refreshToken.scope ?? '').split(' ').filter(Boolean), user);
              requestOverrides.set(ctx, overrides);
            } catch (error) {
              if (error instanceof PreTokenGenerationFailed) throw new errors.InvalidRequest(error.message);
              throw error;
            }
          }
        }
        return {
          accountId: user.id,
          claims: async (use: string) => userClaims(user, use) as { sub: string },
        };
      },
      extraTokenClaims: async (ctx, token) => {
        const claims: UnknownObject = { token_use: 'access' };
        if (token.kind === 'ClientCredentials' && trigger?.version === '3') {
          // V3 runs for machines too; the answer can add access-token claims.
          try {
            const overrides = await runTrigger('TokenGeneration_ClientCredentials', String(token.clientId), [...(token.scopes ?? [])]);
            Object.assign(claims, overrides?.access.add);
          } catch (error) {
            if (error instanceof PreTokenGenerationFailed) throw new errors.InvalidRequest(error.message);
            throw error;
          }
        }
        if (token.kind === 'ClientCredentials') claims.version = 2;
        return claims;
      },
      renderError: async (ctx, out) => {
        ctx.type = 'html';
        ctx.body = errorPage('Sign-in error', { error: out.error, error_description: out.error_description });
      },
    };

    const provider = new Provider(issuer, configuration);
    provider.proxy = url.startsWith('https:');

    // Apply the trigger's answer to ID tokens. oidc-provider filters ID token claims by scope, so
    // the answer (any claim name) is applied here, after that filter, just before signing.
    const IdToken = provider.IdToken as unknown as { prototype: { issue: (this: IdTokenInstance, arg: { use: string }) => Promise<string> } };
    interface IdTokenInstance {
      ctx?: object;
      available: Record<string, unknown>;
      extra: Record<string, unknown>;
    }
    const originalIssue = IdToken.prototype.issue;
    IdToken.prototype.issue = async function issue(this: IdTokenInstance, arg: { use: string }) {
      if (arg?.use === 'idtoken' && this.ctx && requestOverrides.has(this.ctx)) {
        const overrides = requestOverrides.get(this.ctx);
        const changed = applyToIdClaims(this.available, overrides);
        for (const key of Object.keys(this.available)) if (!(key in changed)) delete this.available[key];
        if (overrides) {
          // `extra` is merged last and unfiltered; groups first leave `available` so arrays
          // are replaced, not merged index by index.
          delete this.available['cognito:groups'];
          for (const [key, value] of Object.entries(changed)) {
            if (key === 'cognito:groups' || key in overrides.id.add || key.startsWith('cognito:')) this.extra[key] = value;
          }
          for (const name of overrides.id.suppress) delete this.extra[name];
        }
      }
      return originalIssue.call(this, arg);
    };

    const grantCounts = new Map<string, number>();
    provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
      const grantType = String(ctx.oidc.params?.grant_type ?? 'unknown');
      grantCounts.set(grantType, (grantCounts.get(grantType) ?? 0) + 1);
    });
    provider.on('grant.revoked', (_ctx: KoaContextWithOIDC, grantId: string) => {
      loginOverrides.delete(grantId);
    });

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
        loginOverrides.delete(grantId);
      }
      await session.destroy();
      ctx.cookies.set(provider.cookieName('session'), null, { ...cookieOptions, overwrite: true });
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

    const app = express();
    app.disable('x-powered-by');
    app.set('trust proxy', false);
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
      loginOverrides.set(grantId, overrides);
      // Entries go when their grant is revoked or its session ends; this bounds the rest (grants
      // that simply expire) in a long-running harness. Map order is insertion order.
      if (loginOverrides.size > MAX_REMEMBERED_LOGINS) loginOverrides.delete(loginOverrides.keys().next().value!);
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

    app.use(`/${userPoolId}`, provider.callback());

    app.use((error: unknown, _req: Request, res: Response, _next: express.NextFunction) => {
      const known = error instanceof errors.OIDCProviderError;
      const status = known ? (error as errors.OIDCProviderError).statusCode : 500;
      res
        .status(status)
        .type('html')
        .send(errorPage('Sign-in error', known ? { error: (error as errors.OIDCProviderError).error, error_description: (error as errors.OIDCProviderError).error_description } : { error: 'server_error' }));
      if (!known) process.stderr.write(`identity provider: ${error instanceof Error ? error.message : String(error)}\n`);
    });

    server.on('request', app as unknown as (req: IncomingMessage, res: ServerResponse) => void);

    return {
      issuer,
      url,
      tokenEndpoint,
      jwksUri,
      logoutUrl: `${url}/logout`,
      ...(enrichment ? { enrichment } : {}),
      tokenGrants: (grantType) => grantCounts.get(grantType) ?? 0,
      provider,
      close: () =>
        new Promise<void>((resolve, reject) => {
          server.close((error) => (error ? reject(error) : resolve()));
          server.closeAllConnections();
        }),
    };
  } catch (error) {
    server.close();
    throw error;
  }
}

interface SessionLike {
  authorizations?: Record<string, { grantId?: string }>;
  state?: { secret?: string; postLogoutRedirectUri?: string; state?: unknown; clientId?: string };
  destroy(): Promise<void>;
}

// Verified against when the email is unknown, so timing does not reveal which emails exist.
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
