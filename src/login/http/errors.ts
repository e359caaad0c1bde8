// The one error type of the HTTP layer: a status, a stable code (logs, metrics, JSON bodies) and a
// message that is safe to show. Endpoints throw it; the router turns it into the answer.
export interface HttpErrorOptions {
  /** For 405: the methods the endpoint takes (becomes the Allow header). */
  allow?: readonly string[];
  /** Set-Cookie lines the failure response must still carry (e.g. an expired login state). */
  setCookies?: string[];
  /** Where the error page's "Try again" leads. */
  retryUrl?: string;
}

export class HttpError extends Error {
  override name = 'HttpError';
  readonly allow?: readonly string[];
  readonly setCookies: string[];
  readonly retryUrl?: string;

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    options: HttpErrorOptions = {},
  ) {
    super(message);
    this.allow = options.allow;
    this.setCookies = options.setCookies ?? [];
    this.retryUrl = options.retryUrl;
  }
}

export function methodNotAllowed(methods: readonly string[]): HttpError {
  return new HttpError(405, 'method_not_allowed', `use ${methods.join(' or ')}`, { allow: methods });
}

/** What a core failure carries for its answer (the core attaches these to the errors it throws). */
export function failureExtras(error: unknown): { setCookies: string[]; retryUrl?: string } {
  const { setCookies, retryUrl } = (error ?? {}) as { setCookies?: unknown; retryUrl?: unknown };
  return {
    setCookies: Array.isArray(setCookies) ? (setCookies as string[]) : [],
    retryUrl: typeof retryUrl === 'string' ? retryUrl : undefined,
  };
}
