// Cleans the two parts of a request line a client controls and that routing depends on: the path
// (normalised like Envoy's `normalize_path`, so `/user/../organisation` cannot reach a route it
// does not match) and the Host header (it is echoed into headers and redirects).

const PARSE_BASE = 'http://gateway.invalid';

/** The normalised origin-form target (path + query), or undefined when it is not one. */
export function normaliseTarget(raw: string | undefined): string | undefined {
  if (!raw || !raw.startsWith('/') || raw.startsWith('//')) return undefined;
  // Control characters and spaces never belong in a target; Node's parser already rejects most.
  if (/[\x00-\x20\x7f]/.test(raw)) return undefined;
  let url: URL;
  try {
    url = new URL(raw, PARSE_BASE);
  } catch {
    return undefined;
  }
  if (url.origin !== PARSE_BASE) return undefined;
  return `${url.pathname}${url.search}`;
}

/** host[:port] with a DNS name, IPv4 or bracketed IPv6; anything else is refused. */
export function validAuthority(host: string | undefined): string | undefined {
  if (!host || host.length > 255) return undefined;
  return /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/.test(host) ? host : undefined;
}
