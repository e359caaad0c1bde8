// jwt_authn as Istio's RequestAuthentication configures it: issuer, remote JWKS (cached), audience
// = the app client id, `forwardOriginalToken`, `outputPayloadToHeader`. Like Envoy it first removes
// every client-sent copy of the payload header (except on a CORS preflight, which Envoy lets through
// untouched — the org-context filter must not trust the header there), lets a request without a
// token pass, answers 401 to an invalid one, and records the verified claims as dynamic metadata
// under `envoy.filters.http.jwt_authn` → `payload` for the plugin to read.
import { jwtVerify, type JWTPayload } from 'jose';
import { createJwksCache } from './jwks-cache.ts';
import { first, remove } from '../headers.ts';
import { localResponse, type FilterRequest, type LocalResponse } from '../types.ts';
import type { HttpFilter } from './filter.ts';
import { JWT_METADATA_NAMESPACE, JWT_PAYLOAD_HEADER, JWT_PAYLOAD_METADATA_KEY } from '../../topology/waypoint.ts';

export interface JwtAuthnConfig {
  issuer: string;
  jwksUri: string;
  /** Accepted `aud` values: the app client id. */
  audiences: string[];
  /** Keep the verified token on the request (Istio `forwardOriginalToken`). Default true. */
  forwardOriginalToken?: boolean;
  /** Istio `outputPayloadToHeader`. Default JWT_PAYLOAD_HEADER (src/topology/waypoint.ts). */
  outputPayloadToHeader?: string;
  /** How long fetched keys are trusted before a refetch (Envoy's `cache_duration`). Default 5 min. */
  jwksCacheMs?: number;
  clockSkewSeconds?: number;
  /** Injected for tests: the JWKS fetch and the clock the key cache runs on. */
  fetch?: typeof globalThis.fetch;
  now?: () => number;
}

export interface JwtAuthn {
  /** undefined → continue (claims, if any, are in request.metadata); otherwise the 401 to send. */
  verify(request: FilterRequest): Promise<LocalResponse | undefined>;
}

export function isCorsPreflight(request: FilterRequest): boolean {
  return (
    request.method === 'OPTIONS' &&
    first(request.headers, 'origin') !== undefined &&
    first(request.headers, 'access-control-request-method') !== undefined
  );
}

/** A verifier for one issuer and audience set. */
function createTokenVerifier(config: JwtAuthnConfig) {
  const keys = createJwksCache({
    jwksUri: config.jwksUri,
    cacheMs: config.jwksCacheMs ?? 5 * 60 * 1000,
    cooldownMs: 30_000,
    timeoutMs: 5000,
    ...(config.fetch ? { fetch: config.fetch } : {}),
    ...(config.now ? { now: config.now } : {}),
  });
  return async (token: string): Promise<JWTPayload> => {
    const { payload } = await jwtVerify(token, keys, {
      issuer: config.issuer,
      audience: config.audiences,
      clockTolerance: config.clockSkewSeconds ?? 60,
      algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'],
    });
    return payload;
  };
}

const BEARER = /^Bearer +([A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+)\s*$/i;

export function createJwtAuthn(config: JwtAuthnConfig): JwtAuthn {
  const payloadHeader = (config.outputPayloadToHeader ?? JWT_PAYLOAD_HEADER).toLowerCase();
  const forward = config.forwardOriginalToken ?? true;
  const verifyToken = createTokenVerifier(config);

  function unauthorized(request: FilterRequest): LocalResponse {
    // Envoy's own 401: the realm is the request URL, the body says nothing about why.
    const realm = `${request.scheme}://${request.authority}${request.path.split('?')[0]}`.replace(/"/g, '');
    return localResponse(401, 'Jwt verification fails', 'UAEX', [['www-authenticate', `Bearer realm="${realm}", error="invalid_token"`]]);
  }

  return {
    async verify(request) {
      if (isCorsPreflight(request)) return undefined;
      remove(request.headers, payloadHeader);

      const header = first(request.headers, 'authorization');
      if (header === undefined || !/^bearer\s/i.test(header)) return undefined; // no token: allowed
      const token = BEARER.exec(header)?.[1];
      if (!token) return unauthorized(request);

      let claims: JWTPayload;
      try {
        claims = await verifyToken(token);
      } catch {
        return unauthorized(request);
      }
      if (!forward) remove(request.headers, 'authorization');
      // Envoy writes the token's own base64url payload segment, not a re-encoding of the claims.
      request.headers.push([payloadHeader, token.split('.')[1]!]);
      request.metadata[JWT_METADATA_NAMESPACE] = { [JWT_PAYLOAD_METADATA_KEY]: claims };
      return undefined;
    },
  };
}

/** jwt_authn as a chain stage; it owns the payload header, so the edge leaves a client's copy for it to remove. */
export function jwtAuthnFilter(config: JwtAuthnConfig): HttpFilter {
  const jwtAuthn = createJwtAuthn(config);
  return {
    name: 'envoy.filters.http.jwt_authn',
    slot: 'envoy.filters.http.jwt_authn',
    sanitises: [(config.outputPayloadToHeader ?? JWT_PAYLOAD_HEADER).toLowerCase()],
    decodeHeaders: (request) => jwtAuthn.verify(request),
  };
}
