// The request headers the app behind the sidecar gets: hop-by-hop headers dropped, X-Forwarded-*
// and Forwarded kept only from a trusted ingress (anyone else could claim any client address or
// scheme), the service's own cookies removed, and the session's tokens set — replacing any copy
// the client sent of the ID token header.
import type { IncomingHttpHeaders } from 'node:http';
import { BlockList, isIP } from 'node:net';
import { cookiesForUpstream } from '../upstream-cookies.ts';

/** RFC 9110 §7.6.1 connection-specific fields, plus the non-standard ones proxies still see. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'proxy-authenticate', 'te', 'trailer', 'transfer-encoding', 'upgrade'];
const FORWARDING = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port', 'x-real-ip'];

export type OutgoingHeaders = Record<string, string | string[]>;

/** Headers without the hop-by-hop ones, including any the Connection header names. */
export function endToEnd(headers: IncomingHttpHeaders, keepUpgrade = false): OutgoingHeaders {
  const named = String(headers.connection ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  const drop = new Set([...HOP_BY_HOP, ...named]);
  const result: OutgoingHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || drop.has(name)) continue;
    result[name] = value;
  }
  if (keepUpgrade && headers.upgrade) {
    result.connection = 'upgrade';
    result.upgrade = headers.upgrade;
  }
  return result;
}

export function trustList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address, bits] = entry.split('/') as [string, string | undefined];
    const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(bits), type);
  }
  return list;
}

/** The peer's address as node reports it, without the IPv4-mapped prefix. */
export function peerAddress(remote: string | undefined): string {
  const address = remote ?? '';
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

export function isTrusted(list: BlockList, address: string): boolean {
  const family = isIP(address);
  return family !== 0 && list.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

export interface UpstreamIdentity {
  accessToken: string;
  idToken?: string;
}

export interface ForwardingPolicy {
  appOrigin: string;
  trusted: BlockList;
  idTokenHeader: string;
  ownsCookie(name: string): boolean;
}

export function upstreamRequestHeaders(
  incoming: IncomingHttpHeaders,
  peer: string,
  policy: ForwardingPolicy,
  identity: UpstreamIdentity | undefined,
  keepUpgrade = false,
): OutgoingHeaders {
  const headers = endToEnd(incoming, keepUpgrade);
  const app = new URL(policy.appOrigin);
  if (isTrusted(policy.trusted, peer)) {
    const chain = incoming['x-forwarded-for'];
    headers['x-forwarded-for'] = chain ? `${Array.isArray(chain) ? chain.join(', ') : chain}, ${peer}` : peer;
  } else {
    for (const name of FORWARDING) delete headers[name];
    headers['x-forwarded-for'] = peer;
  }
  headers['x-forwarded-proto'] ??= app.protocol.slice(0, -1);
  headers['x-forwarded-host'] ??= app.host;
  // The app is reached at APP_ORIGIN: the client's Host is not trusted for anything.
  headers.host = app.host;
  delete headers[policy.idTokenHeader];
  const cookies = cookiesForUpstream(incoming.cookie, policy.ownsCookie);
  if (cookies === undefined) delete headers.cookie;
  else headers.cookie = cookies;
  if (identity) {
    headers.authorization = `Bearer ${identity.accessToken}`;
    if (identity.idToken !== undefined) headers[policy.idTokenHeader] = identity.idToken;
  }
  return headers;
}
