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
import { join } from 'node:path';
import express, { type Request, type Response } from 'express';
import Provider, { errors, type KoaContextWithOIDC } from 'oidc-provider';
import { DATA_DIR, REPO_ROOT } from '../../../scripts/lib/artifacts.ts';
import {
  createHandler,
  type EnrichmentHandler,
  type EnrichmentSettings,
  type PreTokenGenerationHandler,
} from '../../enrichment/index.ts';
import { ONBOARDING_SCOPE, USER_POOL_ID, cognitoIssuer, cognitoJwksUri } from '../../topology/waypoint.ts';
import { loadSeed, type SeedUser } from '../seed/index.ts';
import { applyOverridesToIdTokens, tokenClaimHooks, type PendingOverrides, type RunTrigger } from './claims.ts';
import { providerConfiguration, type AppClientOptions, type Lifetimes, type M2mClientOptions } from './config.ts';
import { addInteractionRoutes } from './interactions.ts';
import { loadOrCreateSigningKeys } from './keys.ts';
import { addCognitoLogout } from './logout.ts';
import { errorPage } from './pages.ts';
import { buildEvent, COGNITO_TRIGGER_TIMEOUT_MS, invokeTrigger, type EventVersion } from './pretoken.ts';

export { buildEvent, overridesFrom, invokeTrigger, applyToIdClaims, PreTokenGenerationFailed, type Overrides, type EventVersion } from './pretoken.ts';
export type { AppClientOptions, M2mClientOptions } from './config.ts';
export { USER_POOL_ID as DEFAULT_USER_POOL_ID, ONBOARDING_RESOURCE } from '../../topology/waypoint.ts';

/** Default data folder: `.data/` at the repository root (gitignored). */
export const DEFAULT_DATA_DIR = join(REPO_ROOT, DATA_DIR, '/');

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
  ttl?: Lifetimes;
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

export async function startIdentityProvider(options: IdentityProviderOptions): Promise<RunningIdentityProvider> {
  const host = options.host ?? '127.0.0.1';
  const userPoolId = options.userPoolId ?? USER_POOL_ID;
  if (!/^[\w-]+_[0-9A-Za-z]+$/.test(userPoolId)) throw new Error(`userPoolId ${userPoolId} is not <region>_<id>`);
  const users = typeof options.users === 'string' || options.users === undefined ? loadSeed(options.users) : [...options.users];
  const byId = new Map(users.map((user) => [user.id, user]));
  const byEmail = new Map(users.map((user) => [user.email.toLowerCase(), user]));
  const { app: appClient, m2m } = options.clients;
  const m2mScopes = m2m?.scopes ?? [ONBOARDING_SCOPE];

  // Listen first: the issuer contains the port when it was ephemeral.
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = (options.publicUrl ?? `http://${host}:${port}`).replace(/\/+$/, '');
  const issuer = cognitoIssuer(url, userPoolId);
  const tokenEndpoint = `${issuer}/oauth2/token`;
  const jwksUri = cognitoJwksUri(issuer);

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

    const pending: PendingOverrides = { byGrant: new Map(), byRequest: new WeakMap() };
    const runTrigger: RunTrigger = async (triggerSource, clientId, scopes, user) => {
      if (!trigger) return undefined;
      const event = buildEvent({ version: trigger.version, triggerSource, userPoolId, clientId, scopes, ...(user ? { user } : {}) });
      const { overrides } = await invokeTrigger(trigger.handler, event, trigger.timeoutMs);
      return overrides;
    };

    const provider = new Provider(
      issuer,
      providerConfiguration({
        app: appClient,
        ...(m2m ? { m2m } : {}),
        m2mScopes,
        jwks,
        cookieKeys: options.cookieKeys ?? [randomBytes(32).toString('base64url')],
        ttl: options.ttl ?? {},
        ...tokenClaimHooks({ byId, runTrigger, pending, triggerVersion: trigger?.version }),
        renderError: async (ctx, out) => {
          ctx.type = 'html';
          ctx.body = errorPage('Sign-in error', { error: out.error, error_description: out.error_description });
        },
      }),
    );
    provider.proxy = url.startsWith('https:');
    applyOverridesToIdTokens(provider, pending);

    const grantCounts = new Map<string, number>();
    provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
      const grantType = String(ctx.oidc.params?.grant_type ?? 'unknown');
      grantCounts.set(grantType, (grantCounts.get(grantType) ?? 0) + 1);
    });
    provider.on('grant.revoked', (_ctx: KoaContextWithOIDC, grantId: string) => {
      pending.byGrant.delete(grantId);
    });

    const app = express();
    app.disable('x-powered-by');
    app.set('trust proxy', false);
    addInteractionRoutes(app, { provider, byId, byEmail, runTrigger, pending });
    addCognitoLogout(app, provider, pending);
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
