// Which requests without a session autologin sends to login: every path except the ignored ones
// (globs: `*` within one segment, `**` across segments; /favicon.ico and /robots.txt always).
// Ignoring a path only means "do not redirect": the app still gets no token for it.
export const ALWAYS_IGNORED = ['/favicon.ico', '/robots.txt'] as const;

function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === '/' && pattern.startsWith('/**', i) && (i + 3 === pattern.length || pattern[i + 3] === '/')) {
      // "/**" is zero or more segments: "/public/**" covers "/public" itself.
      source += '(?:/.*)?';
      i += 2;
    } else if (char === '*' && pattern[i + 1] === '*') {
      source += '.*';
      i++;
    } else if (char === '*') source += '[^/]*';
    else source += char.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/** A trailing slash does not make another path ("/public/" is "/public"). */
function normalise(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, '') || '/' : path;
}

export class AutoLogin {
  readonly enabled: boolean;
  readonly #ignored: RegExp[];

  constructor(enabled: boolean, ignorePaths: readonly string[]) {
    this.enabled = enabled;
    this.#ignored = [...ALWAYS_IGNORED, ...ignorePaths].map((pattern) => globToRegExp(normalise(pattern)));
  }

  /** Whether a request for `pathname` without a session must log in first. */
  applies(pathname: string): boolean {
    if (!this.enabled) return false;
    const path = normalise(pathname);
    return !this.#ignored.some((pattern) => pattern.test(path));
  }
}
