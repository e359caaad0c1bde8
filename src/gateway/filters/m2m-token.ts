// The internal listener's machine-to-machine check, in the rbac slot: a route that requires a token
// (route.requireM2mToken) lets a request on only with a bearer token the configured verifier
// accepts. With no verifier every such request is refused — never an open door.
import { first, type HeaderList } from '../headers.ts';
import { localResponse, type FilterRequest, type LocalResponse } from '../types.ts';
import type { HttpFilter } from './filter.ts';

export type M2mVerify = (token: string) => Promise<boolean>;

const CHALLENGE: HeaderList = [['www-authenticate', 'Bearer error="invalid_token"']];

async function checkM2m(request: FilterRequest, verify: M2mVerify | undefined): Promise<LocalResponse | undefined> {
  const token = /^Bearer +([\x21-\x7e]+)$/i.exec(first(request.headers, 'authorization') ?? '')?.[1];
  // As Envoy on the waypoint: no token is the ALLOW policy's denial (403, rbac); a token that does
  // not verify is jwt_authn's (401).
  if (!token) return localResponse(403, 'RBAC: access denied', 'UAEX');
  if (!verify || !(await verify(token))) return localResponse(401, 'invalid machine-to-machine token\n', 'UAEX', CHALLENGE);
  return undefined;
}

export function m2mTokenFilter(verify: M2mVerify | undefined): HttpFilter {
  return {
    name: 'envoy.filters.http.rbac',
    slot: 'envoy.filters.http.rbac',
    decodeHeaders: (request, stream) => (stream.route.requireM2mToken ? checkM2m(request, verify) : undefined),
  };
}
