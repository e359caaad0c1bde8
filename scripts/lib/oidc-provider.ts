// A plain, real OpenID Provider (panva's oidc-provider, OpenID Certified) in-process, for the
// login service's tests and bench. Not Cognito-shaped (that is src/harness/idp): the smallest
// provider that exercises the whole code flow — discovery, PKCE, `iss` in the authorization
// response, RS256 ID tokens, refresh, revocation, RP-initiated logout.
//
// Test hooks: the user who "types their password" (`login`), fault injection on the token endpoint
// (`faults.token`), a rewrite of the ID token it issues, signed with the provider's own key
// (`faults.idTokenClaims`), and counters of token grants.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { SignJWT, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider, { type ClientMetadata, type Configuration } from 'oidc-provider';

export interface TestClient {
  clientId: string;
  clientSecret: string;
}

export interface ProviderFaults {
  /** Answer the token endpoint with this instead of the provider (e.g. { status: 503 }). */
  token?: { status: number; body?: Record<string, unknown>; grantType?: 'refresh_token' | 'authorization_code' };
  /** Re-sign every issued ID token with these claims changed (e.g. { aud: 'someone-else' }). */
  idTokenClaims?: Record<string, unknown>;
  /** Re-sign every issued ID token with a key that is not in the JWKS (same kid): a forgery. */
  idTokenForeignKey?: boolean;
}

export interface OidcTestProvider {
  issuer: string;
  client: TestClient;
  /** The account id (`sub`) the next interaction logs in. */
  login: { accountId: string; email: string };
  faults: ProviderFaults;
  /** Successful grants by grant_type. */
  grants: Record<string, number>;
  /** Refresh tokens revoked so far (count). */
  revocations: number;
  /** Number of login interactions (password prompts) answered. */
  interactions: number;
  provider: Provider;
  /** Stops listening (connections refused) until `resume`, to play an unreachable provider. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  close(): Promise<void>;
}

export interface OidcTestProviderOptions {
  /** Where the relying party lives, e.g. https://app.test (callback and post-logout URIs). */
  appOrigin: string;
  clientId?: string;
  idTokenTtlSeconds?: number;
  accessTokenTtlSeconds?: number;
  /** Also register `<clientId>-public`: a public client (no secret, PKCE only). */
  publicClient?: boolean;
}

/** The login service's environment for a relying party of this provider at `appOrigin`, on free ports. */
export function relyingPartyEnv(provider: OidcTestProvider, appOrigin: string): Record<string, string> {
  return {
    APP_ORIGIN: appOrigin,
    OIDC_ISSUER: provider.issuer,
    OIDC_CLIENT_ID: provider.client.clientId,
    OIDC_CLIENT_SECRET: provider.client.clientSecret,
    LISTEN: '127.0.0.1:0',
    METRICS_LISTEN: '127.0.0.1:0',
  };
}

export async function startOidcTestProvider(options: OidcTestProviderOptions): Promise<OidcTestProvider> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = randomBytes(8).toString('hex');
  const jwk: JWK = { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
  const client: TestClient = { clientId: options.clientId ?? 'oc-edge-test', clientSecret: randomBytes(24).toString('base64url') };

  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server = createServer((req, res) => {
    if (handler) handler(req, res);
    else res.writeHead(503).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const state: OidcTestProvider = {
    issuer,
    client,
    login: { accountId: 'user-1', email: 'user-1@example.test' },
    faults: {},
    grants: {},
    revocations: 0,
    interactions: 0,
    provider: undefined as unknown as Provider,
    pause: async () => {},
    resume: async () => {},
    close: async () => {},
  };

  const configuration: Configuration = {
    clients: [
      {
        client_id: client.clientId,
        client_secret: client.clientSecret,
        redirect_uris: [`${options.appOrigin}/oauth2/callback`],
        post_logout_redirect_uris: [`${options.appOrigin}/oauth2/logout/callback`],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
      ...(options.publicClient
        ? [
            <ClientMetadata>{
              client_id: `${client.clientId}-public`,
              redirect_uris: [`${options.appOrigin}/oauth2/callback`],
              post_logout_redirect_uris: [`${options.appOrigin}/oauth2/logout/callback`],
              grant_types: ['authorization_code', 'refresh_token'],
              response_types: ['code'],
              token_endpoint_auth_method: 'none',
            },
          ]
        : []),
    ],
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        // A confirmation form a test "clicks" (the default page loads Google Fonts).
        logoutSource: async (ctx, form) => {
          ctx.body = `<!doctype html><html><body>${form.replace('</form>', '<button type="submit" name="logout" value="yes">Sign out</button></form>')}</body></html>`;
        },
      },
    },
    pkce: { required: () => true },
    ttl: {
      IdToken: options.idTokenTtlSeconds ?? 3600,
      AccessToken: options.accessTokenTtlSeconds ?? options.idTokenTtlSeconds ?? 3600,
      RefreshToken: 86400,
      Grant: 86400,
      Session: 86400,
      Interaction: 600,
    },
    // Cognito issues refresh tokens without offline_access; so does this provider.
    issueRefreshToken: async (_ctx, oidcClient) => oidcClient.grantTypeAllowed('refresh_token'),
    // Consent is implied: every login gets the scopes it asked for.
    loadExistingGrant: async (ctx) => {
      const accountId = ctx.oidc.session?.accountId;
      if (!accountId || !ctx.oidc.client) return undefined;
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId });
      grant.addOIDCScope('openid email profile offline_access');
      grant.addOIDCClaims(['email', 'email_verified', 'name']);
      await grant.save();
      return grant;
    },
    findAccount: async (_ctx, sub) => ({
      accountId: sub,
      claims: async () => ({ sub, email: state.login.accountId === sub ? state.login.email : `${sub}@example.test`, email_verified: true, name: sub }),
    }),
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  };

  const provider = new Provider(issuer, configuration);
  state.provider = provider;
  provider.on('grant.success', (ctx) => {
    const grantType = String(ctx.oidc.params?.grant_type ?? 'unknown');
    state.grants[grantType] = (state.grants[grantType] ?? 0) + 1;
  });

  provider.use(async (ctx, next) => {
    if (ctx.path === '/token' && state.faults.token) {
      const fault = state.faults.token;
      // The grant type is in the (not yet parsed) body; read it only if the fault is narrowed.
      if (!fault.grantType || (await peekGrantType(ctx.req)) === fault.grantType) {
        ctx.status = fault.status;
        ctx.body = fault.body ?? { error: fault.status >= 500 ? 'server_error' : 'invalid_grant', error_description: 'injected by the test' };
        return;
      }
    }
    await next();
    if (ctx.path === '/token/revocation' && ctx.status === 200) state.revocations += 1;
    const body = ctx.body as { id_token?: string } | undefined;
    const { idTokenClaims, idTokenForeignKey } = state.faults;
    if (ctx.path === '/token' && (idTokenClaims || idTokenForeignKey) && body && typeof body === 'object' && typeof body.id_token === 'string') {
      const claims = { ...decodeJwt(body.id_token), ...idTokenClaims };
      const header = decodeProtectedHeader(body.id_token);
      const key = idTokenForeignKey ? (await generateKeyPair('RS256')).privateKey : privateKey;
      body.id_token = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: header.kid ?? kid, typ: header.typ }).sign(key);
    }
  });

  const callback = provider.callback();
  handler = (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    if (req.method === 'GET' && /^\/interaction\/[^/]+$/.test(path)) {
      // The user "types their password": finish the login interaction for `login.accountId`.
      void (async () => {
        try {
          await provider.interactionDetails(req, res);
          state.interactions += 1;
          await provider.interactionFinished(req, res, { login: { accountId: state.login.accountId } }, { mergeWithLastSubmission: false });
        } catch (error) {
          res.writeHead(400, { 'content-type': 'text/plain' }).end(`interaction failed: ${error instanceof Error ? error.message : String(error)}`);
        }
      })();
      return;
    }
    callback(req, res);
  };

  const port = (server.address() as AddressInfo).port;
  const stop = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      server.closeAllConnections();
    });
  state.pause = stop;
  state.resume = () => new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  state.close = stop;
  return state;
}

/** Reads grant_type from a form body without consuming it for the provider. */
async function peekGrantType(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  const raw = Buffer.concat(chunks).toString();
  // oidc-provider falls back to req.body when the stream was already read: hand it the text.
  (req as IncomingMessage & { body?: unknown }).body = raw;
  return new URLSearchParams(raw).get('grant_type') ?? undefined;
}
