// The remote JWKS as Envoy's jwt_authn keeps it: fetched once, trusted for `cacheMs`, then
// refreshed in the background while the last good keys go on verifying. A failed refresh keeps
// them (an identity-provider outage must not log everyone out: every token is still valid), and
// so does a refresh that answers with no usable keys. An unknown `kid` (key rotation) refetches at
// once, but at most every `cooldownMs`, so junk tokens cannot make the gateway a request amplifier.
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';

export interface JwksCacheOptions {
  jwksUri: string;
  cacheMs: number;
  cooldownMs: number;
  timeoutMs: number;
  fetch?: typeof globalThis.fetch;
  now?: () => number;
}

export function createJwksCache(options: JwksCacheOptions): JWTVerifyGetKey {
  const fetchJson = options.fetch ?? globalThis.fetch;
  const now = options.now ?? Date.now;
  let keys: JWTVerifyGetKey | undefined;
  let fetchedAt = -Infinity;
  let attemptedAt = -Infinity;
  let inFlight: Promise<void> | undefined;

  async function fetchKeys(): Promise<void> {
    attemptedAt = now();
    const response = await fetchJson(options.jwksUri, { signal: AbortSignal.timeout(options.timeoutMs), headers: { accept: 'application/json' } });
    if (!response.ok) throw new Error(`JWKS fetch answered ${response.status}`);
    const body = (await response.json()) as JSONWebKeySet;
    if (!Array.isArray(body?.keys) || body.keys.length === 0) throw new Error('JWKS has no keys');
    keys = createLocalJWKSet(body);
    fetchedAt = now();
  }

  /** One fetch at a time; concurrent callers share it. */
  function refresh(): Promise<void> {
    inFlight ??= fetchKeys().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  }

  const coolingDown = () => now() - attemptedAt < options.cooldownMs;

  return async (header, token) => {
    if (!keys) {
      if (coolingDown() && !inFlight) throw new errors.JWKSTimeout('JWKS not fetched yet');
      await refresh();
    } else if (now() - fetchedAt >= options.cacheMs && !coolingDown()) {
      refresh().catch(() => {}); // background: the current keys answer meanwhile
    }
    try {
      return await keys!(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
      // A refresh under way (the background one above) may bring the key; else one, cooled down.
      if (inFlight) await inFlight.catch(() => {});
      else if (!coolingDown()) await refresh().catch(() => {});
      else throw error;
      return keys!(header, token);
    }
  };
}
