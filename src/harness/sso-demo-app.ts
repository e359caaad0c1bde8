// The app behind each login service of `oc-edge start --sso`: one page that says who the login
// service says the visitor is. It never trusts the `Authorization` header by its shape: without a
// session the login service passes a client's own header through, so the token is shown to the
// identity provider's userinfo endpoint, and only a token the provider accepts counts.
// The token itself is never shown, logged or echoed.
import express, { type Request } from 'express';
import { request } from 'undici';
import { escapeHtml } from './idp/pages.ts';
import { listenApp, type RunningService } from './common/listen.ts';

export interface DemoAppOptions {
  title: string;
  port: number;
  /** The provider's userinfo endpoint, where a bearer token is checked. */
  userinfoUrl: string;
  /** Links to the other apps of the demo (title → origin), shown on the page. */
  neighbours?: { title: string; url: string }[];
  /** How long a userinfo call may take. Default 3 s. */
  timeoutMs?: number;
}

/** What the page knows about the request. */
export interface DemoIdentity {
  /** A bearer token arrived (from the login service, or a client). */
  bearer: boolean;
  /** The provider accepted it: the user it belongs to. */
  email?: string;
  sub?: string;
  /** The provider refused it, or could not be asked. */
  problem?: string;
}

/** Access tokens are opaque or JWTs: printable ASCII, bounded. Anything else is not sent anywhere. */
const BEARER = /^Bearer ([\x21-\x7e]{1,4096})$/;

async function identify(req: Request, options: DemoAppOptions): Promise<DemoIdentity> {
  const header = req.get('authorization');
  if (!header) return { bearer: false };
  const match = BEARER.exec(header);
  if (!match) return { bearer: true, problem: 'the Authorization header is not a bearer token' };
  try {
    const response = await request(options.userinfoUrl, {
      headers: { authorization: `Bearer ${match[1]}`, accept: 'application/json' },
      headersTimeout: options.timeoutMs ?? 3000,
      bodyTimeout: options.timeoutMs ?? 3000,
    });
    if (response.statusCode !== 200) {
      await response.body.dump();
      return { bearer: true, problem: `the identity provider refused the token (${response.statusCode})` };
    }
    const claims = (await response.body.json()) as Record<string, unknown>;
    return {
      bearer: true,
      ...(typeof claims.email === 'string' ? { email: claims.email } : {}),
      ...(typeof claims.sub === 'string' ? { sub: claims.sub } : {}),
    };
  } catch (error) {
    return { bearer: true, problem: `the identity provider could not be asked (${error instanceof Error ? error.name : 'error'})` };
  }
}

function page(options: DemoAppOptions, who: DemoIdentity): string {
  const title = escapeHtml(options.title);
  const signedIn = who.email !== undefined || who.sub !== undefined;
  const status = signedIn
    ? `<p data-testid="status" data-signed-in="true">Signed in as <strong data-testid="user">${escapeHtml(who.email ?? who.sub ?? '')}</strong>.
The login service sent this app a bearer token, and the identity provider accepted it.</p>
<p><a data-testid="logout" href="/oauth2/logout">Sign out</a></p>`
    : `<p data-testid="status" data-signed-in="false">Not signed in.${who.problem ? ` <span data-testid="problem">${escapeHtml(who.problem)}</span>` : ''}</p>
<p><a data-testid="login" href="/oauth2/login?redirect=%2F">Sign in</a></p>`;
  const links = (options.neighbours ?? []).map((n) => `<li><a href="${escapeHtml(n.url)}/">${escapeHtml(n.title)}</a></li>`).join('');
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${title}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}</style></head>
<body>
<h1 data-testid="app">${title}</h1>
${status}
${links ? `<h2>The other apps</h2><ul>${links}</ul>` : ''}
</body>
</html>`;
}

export function createDemoApp(options: DemoAppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/whoami', async (req, res) => {
    res.set('cache-control', 'no-store').json(await identify(req, options));
  });
  app.get('/', async (req, res) => {
    res.set('cache-control', 'no-store').type('html').send(page(options, await identify(req, options)));
  });
  return app;
}

export function startDemoApp(options: DemoAppOptions): Promise<RunningService> {
  return listenApp(createDemoApp(options), options.port);
}
