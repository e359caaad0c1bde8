// The oidc-provider configuration that makes it a Cognito user pool: the app and M2M clients,
// Cognito's endpoint paths, scope claims in the ID token, PKCE, client credentials with JWT access
// tokens for the onboarding resource, Cognito's lifetimes and refresh-token rules.
import { errors, type ClientMetadata, type Configuration } from 'oidc-provider';
import { OIDC_SCOPES, ONBOARDING_RESOURCE } from '../../topology/waypoint.ts';
import { signedOutPage } from './pages.ts';

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

/** Lifetimes in seconds (Cognito defaults: 1 h tokens, 30 d refresh, 5 min codes, 1 h session). */
export interface Lifetimes {
  accessToken?: number;
  idToken?: number;
  refreshToken?: number;
  m2mAccessToken?: number;
  session?: number;
}

/** The provider's cookies (session, interaction), and the one logout clears. */
export const COOKIE_OPTIONS = { httpOnly: true, sameSite: 'lax' as const, path: '/' };

export interface ProviderConfigurationInput {
  app: AppClientOptions;
  m2m?: M2mClientOptions;
  m2mScopes: string[];
  jwks: unknown;
  cookieKeys: string[];
  ttl: Lifetimes;
  /** The account lookup and the access-token claims (./claims.ts), which run the trigger. */
  findAccount: NonNullable<Configuration['findAccount']>;
  extraTokenClaims: NonNullable<Configuration['extraTokenClaims']>;
  renderError: NonNullable<Configuration['renderError']>;
}

function clientsOf({ app, m2m, m2mScopes }: ProviderConfigurationInput): ClientMetadata[] {
  const clients: ClientMetadata[] = [
    {
      client_id: app.clientId,
      ...(app.clientSecret ? { client_secret: app.clientSecret } : {}),
      client_name: app.name ?? app.clientId,
      token_endpoint_auth_method: app.tokenEndpointAuthMethod ?? (app.clientSecret ? 'client_secret_basic' : 'none'),
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: app.redirectUris,
      post_logout_redirect_uris: app.postLogoutRedirectUris ?? [],
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
  return clients;
}

export function providerConfiguration(input: ProviderConfigurationInput): Configuration {
  const { m2m, m2mScopes, ttl } = input;
  return {
    clients: clientsOf(input),
    jwks: input.jwks as Configuration['jwks'],
    cookies: {
      keys: input.cookieKeys,
      long: { ...COOKIE_OPTIONS },
      short: { ...COOKIE_OPTIONS },
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
        // Never rendered as such: the session ends without a confirmation (./logout.ts).
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
    findAccount: input.findAccount,
    extraTokenClaims: input.extraTokenClaims,
    renderError: input.renderError,
  };
}
