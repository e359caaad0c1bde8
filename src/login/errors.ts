// The failures the core reports, each with a stable `code` for logs, metrics and JSON bodies. The
// messages are safe to show: they never contain a token, a code, a secret or a cookie value.

/** The identity provider did not answer usefully (network, timeout, 5xx, not discovered yet). */
export class ProviderUnavailableError extends Error {
  override name = 'ProviderUnavailableError';
  readonly code = 'provider_unavailable';
}

/** A login callback that must not create a session (bad state, iss, nonce, token, replay…). */
export class LoginRejectedError extends Error {
  override name = 'LoginRejectedError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The provider refused the refresh token (revoked, expired, user disabled): the session ends. */
export class RefreshRejectedError extends Error {
  override name = 'RefreshRejectedError';
  readonly code = 'refresh_rejected';
}
