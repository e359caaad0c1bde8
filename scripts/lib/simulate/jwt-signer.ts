// A signing key made per Envoy runtime and its JWKS, so the runtime's jwt_authn verifies tokens
// carrying exactly the claims a request's jwtPayload names (ES256, no issuer or audience checks).
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';

export function createJwtSigner(): { jwks: string; sign(claims: object): string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = randomUUID();
  const jwks = JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' }] });
  const part = (value: object) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
  return {
    jwks,
    sign(claims) {
      const input = `${part({ alg: 'ES256', typ: 'JWT', kid })}.${part(claims)}`;
      const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
      return `${input}.${signature}`;
    },
  };
}
