// What goes into the tokens, Cognito's way: the user's claims (`cognito:username`, `token_use`,
// `cognito:groups`), `token_use: access` on access tokens, and the Pre Token Generation trigger's
// answer, which Cognito applies to every token it issues (login, refresh and, with V3, client
// credentials); a failing trigger fails the issue.
import Provider, { errors, type Configuration, type UnknownObject } from 'oidc-provider';
import type { TriggerSource } from '../../enrichment/index.ts';
import type { SeedUser } from '../seed/index.ts';
import { applyToIdClaims, PreTokenGenerationFailed, type EventVersion, type Overrides } from './pretoken.ts';

/** Runs the trigger (when one is configured) and returns its answer. */
export type RunTrigger = (triggerSource: TriggerSource, clientId: string, scopes: string[], user?: SeedUser) => Promise<Overrides | undefined>;

/**
 * The trigger's answers waiting to be applied: by grant, what it answered at login (each login
 * makes a fresh grant), for the code exchange; by request context, what applies to the token
 * response being built.
 */
export interface PendingOverrides {
  byGrant: Map<string, Overrides | undefined>;
  byRequest: WeakMap<object, Overrides | undefined>;
}

export function userClaims(user: SeedUser, use: string): Record<string, unknown> {
  return {
    sub: user.id,
    email: user.email,
    email_verified: user.emailVerified,
    'cognito:username': user.username,
    ...(use === 'id_token' ? { token_use: 'id' } : {}),
    ...(user.groups.length > 0 ? { 'cognito:groups': [...user.groups] } : {}),
  };
}

/** A trigger failure as the token endpoint reports it (Cognito: invalid_request). */
async function orInvalidRequest<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof PreTokenGenerationFailed) throw new errors.InvalidRequest(error.message);
    throw error;
  }
}

export interface TokenClaimsInput {
  byId: ReadonlyMap<string, SeedUser>;
  runTrigger: RunTrigger;
  pending: PendingOverrides;
  /** The configured trigger's event version; undefined without a trigger. */
  triggerVersion: EventVersion | undefined;
}

/** oidc-provider's account lookup and access-token claims, with the trigger's answers. */
export function tokenClaimHooks({ byId, runTrigger, pending, triggerVersion }: TokenClaimsInput): {
  findAccount: NonNullable<Configuration['findAccount']>;
  extraTokenClaims: NonNullable<Configuration['extraTokenClaims']>;
} {
  return {
    findAccount: async (ctx, sub, token) => {
      const user = byId.get(sub);
      if (!user) return undefined;
      if (ctx.oidc?.route === 'token' && token) {
        if (token.kind === 'AuthorizationCode') {
          pending.byRequest.set(ctx, pending.byGrant.get(String(token.grantId)));
        } else if (token.kind === 'RefreshToken') {
          // Cognito runs the trigger for refreshes too; a failure fails the refresh.
          const refreshToken = token as unknown as { grantId: string; clientId: string; scope?: string };
          const overrides = await orInvalidRequest(() =>
            runTrigger('TokenGeneration_RefreshTokens', refreshToken.clientId, (refreshToken.scope ?? '').split(' ').filter(Boolean), user),
          );
          pending.byRequest.set(ctx, overrides);
        }
      }
      return {
        accountId: user.id,
        claims: async (use: string) => userClaims(user, use) as { sub: string },
      };
    },
    extraTokenClaims: async (_ctx, token) => {
      const claims: UnknownObject = { token_use: 'access' };
      if (token.kind === 'ClientCredentials' && triggerVersion === '3') {
        // V3 runs for machines too; the answer can add access-token claims.
        const overrides = await orInvalidRequest(() => runTrigger('TokenGeneration_ClientCredentials', String(token.clientId), [...(token.scopes ?? [])]));
        Object.assign(claims, overrides?.access.add);
      }
      if (token.kind === 'ClientCredentials') claims.version = 2;
      return claims;
    },
  };
}

interface IdTokenInstance {
  ctx?: object;
  available: Record<string, unknown>;
  extra: Record<string, unknown>;
}

/**
 * Applies the trigger's answer to ID tokens. oidc-provider filters ID token claims by scope, so
 * the answer (any claim name) is applied here, after that filter, just before signing.
 */
export function applyOverridesToIdTokens(provider: Provider, pending: PendingOverrides): void {
  const IdToken = provider.IdToken as unknown as { prototype: { issue: (this: IdTokenInstance, arg: { use: string }) => Promise<string> } };
  const originalIssue = IdToken.prototype.issue;
  IdToken.prototype.issue = async function issue(this: IdTokenInstance, arg: { use: string }) {
    if (arg?.use === 'idtoken' && this.ctx && pending.byRequest.has(this.ctx)) {
      const overrides = pending.byRequest.get(this.ctx);
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
}
