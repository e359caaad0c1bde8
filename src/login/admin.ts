// The admin port: /metrics (Prometheus text) and /healthz (JSON, 200 or 503). One server for both
// shapes of the service: a single process answers from its own registry and store, a cluster's
// primary from what its workers report (src/login/cluster/primary.ts).
import { createServer, type Server } from 'node:http';

export interface Health {
  /** undefined: this mode talks to no provider (sso-proxy). */
  provider?: 'ok' | 'unreachable';
  store: 'ok' | 'unreachable';
  /** A cluster's primary: how many workers answered healthy, of how many. */
  workers?: { healthy: number; of: number };
}

export interface AdminSource {
  metrics(): Promise<{ contentType: string; body: string }>;
  health(): Promise<Health>;
}

export const healthy = (health: Health): boolean =>
  health.provider !== 'unreachable' && health.store === 'ok' && (health.workers === undefined || health.workers.healthy === health.workers.of);

export function createAdminServer(source: AdminSource): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path === '/metrics') {
      source.metrics().then(
        ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
        () => res.writeHead(500).end(),
      );
    } else if (path === '/healthz') {
      source.health().then(
        (health) => {
          const ok = healthy(health);
          res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
          res.end(JSON.stringify({ status: ok ? 'ok' : 'unavailable', ...health }));
        },
        () => res.writeHead(503, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end('{"status":"unavailable"}'),
      );
    } else {
      res.writeHead(404).end();
    }
  });
}
