// Turning a failed endpoint into its answer: the error page with a correlation id (details in the
// log, never on the page), 405 with Allow, and the logins metric for failed login steps.
import type { ServerResponse } from 'node:http';
import { randomId } from '../crypto.ts';
import { LoginRejectedError, ProviderUnavailableError } from '../errors.ts';
import { errorPage } from '../pages.ts';
import { LoginRateLimitedError } from '../rate-limit.ts';
import { StoreUnavailableError } from '../store/types.ts';
import type { HttpContext } from './context.ts';
import { HttpError, failureExtras } from './errors.ts';
import { sendJson, sendPage } from './respond.ts';

interface Described {
  status: number;
  code: string;
  title: string;
  message: string;
}

function describe(error: unknown): Described {
  if (error instanceof StoreUnavailableError) {
    return { status: 503, code: 'session_store_unavailable', title: 'Sign-in is unavailable', message: 'The session store cannot be reached. Please try again in a moment.' };
  }
  if (error instanceof ProviderUnavailableError) {
    return {
      status: 503,
      code: error.code,
      title: 'Sign-in is unavailable',
      message: 'The identity provider cannot be reached right now. Existing sessions continue; please try again in a moment.',
    };
  }
  if (error instanceof LoginRejectedError) return { status: 400, code: error.code, title: 'Login failed', message: error.message };
  if (error instanceof LoginRateLimitedError) {
    return { status: 429, code: error.code, title: 'Too many sign-ins', message: 'You were sent to sign in many times in a row. Please wait a few seconds and try again.' };
  }
  if (error instanceof HttpError) return { status: error.status, code: error.code, title: 'Request refused', message: error.message };
  return { status: 500, code: 'internal_error', title: 'Login failed', message: 'Something went wrong on our side.' };
}

export interface FailureScope {
  /** The failed request was a login step (login, callback). */
  loginStep: boolean;
  /** "Back to the application" on the error page. */
  home: string;
  /** "Try again" for a failed login step that cannot tell where it was going. */
  freshLogin: string;
}

export function answerFailure(ctx: HttpContext, res: ServerResponse, error: unknown, scope: FailureScope): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (error instanceof HttpError && error.allow) {
    return sendJson(res, 405, { error: error.code }, [], { allow: error.allow.join(', ') });
  }
  const extras = error instanceof HttpError ? { setCookies: error.setCookies, retryUrl: error.retryUrl } : failureExtras(error);
  if (error instanceof LoginRejectedError || error instanceof LoginRateLimitedError || (scope.loginStep && error instanceof ProviderUnavailableError)) {
    ctx.metrics.logins.inc({ result: error.code });
  }
  const retryUrl = extras.retryUrl ?? (scope.loginStep ? scope.freshLogin : undefined);
  const described = describe(error);
  if (error instanceof StoreUnavailableError) ctx.metrics.storeErrors.inc();
  const correlationId = randomId(9);
  const reason = error instanceof Error ? error.message : String(error);
  if (described.status >= 500) ctx.logger.error({ correlationId, code: described.code, reason }, 'request failed');
  else ctx.logger.warn({ correlationId, code: described.code, reason }, 'request refused');
  const page = errorPage(described.title, described.message, correlationId, scope.home, retryUrl);
  const retryAfter = error instanceof LoginRateLimitedError ? String(error.retryAfterSeconds) : described.status === 503 ? '5' : undefined;
  sendPage(res, described.status, page, extras.setCookies, retryAfter ? { 'retry-after': retryAfter } : {});
}
