// The dashboard page, served through the gateway at `/`: who the user is, their userType, the
// organisation the request acts for and its features — all read from the headers the gateway
// injected — plus an organisation switcher and a logout button. Rendered on the server so what the
// page shows is exactly what this backend was told; the small script only fills the switcher.
import express from 'express';
import { readFileSync } from 'node:fs';
import { callerOf, selectedOrganisation, supportedFeatures } from '../common/identity.ts';
import { listenApp, type RunningService } from '../common/listen.ts';
import { renderDashboard } from './render.ts';

export interface DashboardConfig {
  port: number;
  /** Display names for organisation ids. */
  names?: Record<string, string>;
}

const ASSETS = new URL('./assets/', import.meta.url);
const asset = (name: string) => readFileSync(new URL(name, ASSETS), 'utf8');

export function createDashboardApp(config: DashboardConfig): express.Express {
  const app = express();
  app.disable('x-powered-by');
  const css = asset('dashboard.css');
  const js = asset('dashboard.js');

  app.use((_req, res, next) => {
    // No inline script or style anywhere, so a strict policy costs nothing. No form-action: the
    // logout form's redirect chain must reach the identity provider, another origin.
    res.set({
      'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'",
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'same-origin',
    });
    next();
  });
  app.get('/assets/dashboard.css', (_req, res) => res.type('text/css').set('cache-control', 'no-cache').send(css));
  app.get('/assets/dashboard.js', (_req, res) => res.type('text/javascript').set('cache-control', 'no-cache').send(js));
  app.get('/healthz', (_req, res) => res.json({ ok: true }));

  app.get('/', (req, res) => {
    const caller = callerOf(req);
    const claim = (name: string) => (caller && typeof caller.claims[name] === 'string' ? (caller.claims[name] as string) : undefined);
    const organisation = selectedOrganisation(req);
    res
      .type('html')
      .set('cache-control', 'no-store')
      .send(
        renderDashboard({
          user: claim('email') ?? claim('cognito:username') ?? caller?.sub,
          userType: claim('userType'),
          organisation,
          organisationName: organisation ? config.names?.[organisation] : undefined,
          features: supportedFeatures(req),
        }),
      );
  });

  app.use((_req, res) => res.status(404).type('text').send('not found\n'));
  return app;
}

export async function startDashboard(config: DashboardConfig): Promise<RunningService> {
  return listenApp(createDashboardApp(config), config.port);
}
