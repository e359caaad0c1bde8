// The URL parsing behind Kubernetes' CEL URL library (isURL, url, getScheme, …). The API server
// implements it with Go's net/url ParseRequestURI, so a value is a URL exactly when Go accepts it as
// a request URI: an absolute URI ("scheme:…") or an absolute path ("/…"). The quirks matter for
// the rules we evaluate: "registry.example.com/img" is not a URL (no scheme, not a path), and
// "localhost:5000/img" is one, with scheme "localhost". Only the parts the library exposes are kept.

export interface ParsedUrl {
  /** Lower-cased, "" for a bare path. */
  scheme: string;
  /** host[:port] as written ("" for a path or an opaque URL). */
  host: string;
  /** Host without port; an IPv6 literal without its brackets. */
  hostname: string;
  /** "" when none is given. */
  port: string;
}

/** Go's url.ParseRequestURI: the parsed parts, or an error message. */
export function parseRequestUri(raw: string): ParsedUrl | { error: string } {
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(raw)) return { error: 'invalid control character in URL' };
  if (raw === '') return { error: 'empty url' };
  if (raw === '*') return { scheme: '', host: '', hostname: '', port: '' };
  const split = splitScheme(raw);
  if ('error' in split) return split;
  const scheme = split.scheme.toLowerCase();
  let rest = split.rest;
  const query = rest.indexOf('?');
  if (query >= 0) rest = rest.slice(0, query);
  if (!rest.startsWith('/')) {
    // "scheme:opaque" is a URL; a relative reference is not a request URI.
    if (scheme !== '') return { scheme, host: '', hostname: '', port: '' };
    return { error: 'invalid URI for request' };
  }
  let host = '';
  let hostname = '';
  let port = '';
  let path = rest;
  if (scheme !== '' && rest.startsWith('//')) {
    const end = rest.indexOf('/', 2);
    const authority = end < 0 ? rest.slice(2) : rest.slice(2, end);
    path = end < 0 ? '' : rest.slice(end);
    const parsed = parseAuthority(authority);
    if ('error' in parsed) return parsed;
    ({ host, hostname, port } = parsed);
  }
  if (!validEscapes(path)) return { error: 'invalid URL escape' };
  return { scheme, host, hostname, port };
}

/** Go's getScheme: a scheme is a letter then letters, digits, "+", "-", "."; ":" ends it. */
function splitScheme(raw: string): { scheme: string; rest: string } | { error: string } {
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (/[A-Za-z]/.test(c)) continue;
    if (/[0-9+\-.]/.test(c)) {
      if (i === 0) return { scheme: '', rest: raw };
      continue;
    }
    if (c === ':') {
      if (i === 0) return { error: 'missing protocol scheme' };
      return { scheme: raw.slice(0, i), rest: raw.slice(i + 1) };
    }
    // Any other character: no scheme at all.
    return { scheme: '', rest: raw };
  }
  return { scheme: '', rest: raw };
}

function parseAuthority(authority: string): { host: string; hostname: string; port: string } | { error: string } {
  const at = authority.lastIndexOf('@');
  if (at >= 0 && !/^[A-Za-z0-9\-._~!$&'()*+,;=:%@]*$/.test(authority.slice(0, at))) return { error: 'invalid userinfo' };
  const host = at >= 0 ? authority.slice(at + 1) : authority;
  let hostname = host;
  let port = '';
  if (host.startsWith('[')) {
    const close = host.lastIndexOf(']');
    if (close < 0) return { error: "missing ']' in host" };
    const after = host.slice(close + 1);
    if (!validOptionalPort(after)) return { error: `invalid port "${after}" after host` };
    hostname = host.slice(1, close);
    port = after.slice(1);
  } else {
    const colon = host.lastIndexOf(':');
    if (colon >= 0) {
      const colonPort = host.slice(colon);
      if (!validOptionalPort(colonPort)) return { error: `invalid port "${colonPort}" after host` };
      hostname = host.slice(0, colon);
      port = colonPort.slice(1);
    }
  }
  // Characters Go leaves unescaped in a host (RFC 3986 reg-name, sub-delims, and IP-literal parts);
  // anything else ASCII, such as a space, is an invalid host. Non-ASCII (IDN) passes, as in Go.
  for (const c of hostname) {
    if (c.charCodeAt(0) >= 0x80) continue;
    if (!/[A-Za-z0-9\-._~!$&'()*+,;=:[\]<>"%]/.test(c)) return { error: `invalid character ${JSON.stringify(c)} in host name` };
  }
  if (!validEscapes(hostname)) return { error: 'invalid URL escape in host' };
  return { host, hostname, port };
}

/** Go's validOptionalPort: "" or ":" followed by digits only. */
function validOptionalPort(port: string): boolean {
  return port === '' || /^:[0-9]*$/.test(port);
}

/** Every "%" starts a two-digit hex escape. */
function validEscapes(text: string): boolean {
  return !/%(?![0-9A-Fa-f]{2})/.test(text);
}
