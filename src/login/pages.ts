// The few HTML pages the service renders: an error page with a correlation id (the details go to
// the log, never to the page), and the self-submitting form that carries the logout to the
// provider's end_session_endpoint by POST (so the ID token hint is not put in a URL).
import { createHash } from 'node:crypto';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface Page {
  html: string;
  csp: string;
}

/** `retryUrl`: where "Try again" leads (a new login to the same target), for failures worth retrying. */
export function errorPage(title: string, message: string, correlationId: string, homeUrl: string, retryUrl?: string): Page {
  const retry = retryUrl ? `<p><a href="${escapeHtml(retryUrl)}" data-action="retry">Try again</a></p>\n` : '';
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body><h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(message)}</p>
<p>Correlation id: <code>${escapeHtml(correlationId)}</code> (quote it when reporting the problem).</p>
${retry}<p><a href="${escapeHtml(homeUrl)}">Back to the application</a></p>
</body></html>
`;
  return { html, csp: "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'" };
}

const AUTO_SUBMIT = 'document.forms[0].submit();';
const AUTO_SUBMIT_HASH = createHash('sha256').update(AUTO_SUBMIT).digest('base64');

export function formPostPage(action: string, fields: Record<string, string>, appOrigin: string): Page {
  const inputs = Object.entries(fields)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('\n');
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Signing out…</title></head>
<body>
<form method="post" action="${escapeHtml(action)}">
${inputs}
<noscript><button type="submit">Continue signing out</button></noscript>
</form>
<script>${AUTO_SUBMIT}</script>
</body></html>
`;
  // form-action also governs the redirects after the submission, so the app origin (where the
  // provider sends the browser back) must be allowed too.
  const csp = `default-src 'none'; script-src 'sha256-${AUTO_SUBMIT_HASH}'; form-action ${new URL(action).origin} ${appOrigin}; base-uri 'none'; frame-ancestors 'none'`;
  return { html, csp };
}
