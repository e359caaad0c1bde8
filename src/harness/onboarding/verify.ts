// Verification of machine-to-machine access tokens, shared by onboarding and the internal
// gateway listener (src/gateway). A Cognito client-credentials access token is an RS256 JWT from
// the pool's issuer with `token_use: access` and the granted scopes in `scope`; it has no `aud`
// (Cognito puts the client in `client_id`), so audience is only checked when asked for.
import { createRemoteJWKSet, jwtVerify, errors as joseErrors, type JWTPayload } from 'jose';
import { cognitoJwksUri } from '../../topology/waypoint.ts';

export interface M2mVerifyOptions {
  issuer: string;
  /** Default: `${issuer}/.well-known/jwks.json`, where Cognito publishes it. */
  jwksUri?: string;
  /** Scope the token must carry (e.g. `onboarding/read`). */
  scope: string;
  /** Optional expected `aud` (the stand-in sets it to the resource indicator). */
  audience?: string;
  /** Allowed clock skew in seconds (default 5). */
  clockTolerance?: number;
}

export interface M2mToken extends JWTPayload {
  client_id: string;
  scope: string;
  token_use: 'access';
}

/** Why a token was refused; the message never contains the token. */
export class M2mTokenError extends Error {
  override name = 'M2mTokenError';
  /** RFC 6750 §3.1 error codes, for the WWW-Authenticate header. */
  constructor(
    readonly code: 'invalid_token' | 'insufficient_scope',
    message: string,
  ) {
    super(message);
  }
}

export type M2mVerifier = (token: string) => Promise<M2mToken>;

/** A verifier with its own cached JWKS (refetched by jose when an unknown `kid` appears). */
export function createM2mVerifier(options: M2mVerifyOptions): M2mVerifier {
  const jwksUri = options.jwksUri ?? cognitoJwksUri(options.issuer.replace(/\/+$/, ''));
  const jwks = createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: 2000, cooldownDuration: 5000 });
  return async (token: string): Promise<M2mToken> => {
    if (typeof token !== 'string' || token.length === 0) throw new M2mTokenError('invalid_token', 'no bearer token');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwks, {
        issuer: options.issuer,
        algorithms: ['RS256'],
        clockTolerance: options.clockTolerance ?? 5,
        requiredClaims: ['exp', 'iat'],
        ...(options.audience ? { audience: options.audience } : {}),
      }));
    } catch (error) {
      const reason =
        error instanceof joseErrors.JWTExpired
          ? 'token expired'
          : error instanceof joseErrors.JWTClaimValidationFailed
            ? `claim ${error.claim} invalid`
            : error instanceof joseErrors.JWSSignatureVerificationFailed
              ? 'bad signature'
              : error instanceof joseErrors.JOSEError
                ? error.code
                : 'token not verifiable';
      throw new M2mTokenError('invalid_token', reason);
    }
    if (payload.token_use !== 'access') throw new M2mTokenError('invalid_token', 'not an access token (token_use)');
    if (typeof payload.client_id !== 'string') throw new M2mTokenError('invalid_token', 'no client_id');
    const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
    if (!scopes.includes(options.scope)) throw new M2mTokenError('insufficient_scope', `scope ${options.scope} required`);
    return payload as M2mToken;
  };
}

const verifiers = new Map<string, M2mVerifier>();

/** One-shot form; verifiers (and their JWKS caches) are reused per option set. */
export function verifyM2mToken(token: string, options: M2mVerifyOptions): Promise<M2mToken> {
  const key = JSON.stringify([options.issuer, options.jwksUri, options.scope, options.audience, options.clockTolerance]);
  let verifier = verifiers.get(key);
  if (!verifier) {
    verifier = createM2mVerifier(options);
    verifiers.set(key, verifier);
  }
  return verifier(token);
}

/** The bearer token of an `Authorization` header, or undefined (RFC 6750 §2.1, scheme case-insensitive). */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)$/i.exec(header ?? '');
  return match?.[1];
}
