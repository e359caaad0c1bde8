// A gateway in a process of its own, as `npm start` runs it, for the suite that checks nothing a
// client sends ends that process (in-process, node:test swallows an uncaught error after a test
// has ended, so a crash there can pass unnoticed). Every service is one upstream; the auth service
// allows everything (after 300 ms on paths containing `/slow-authz`, so a client can leave while
// the check is pending); `/stream` answers a body slowly, so a client can leave mid-download.
// Prints one JSON line with the ports and the CA, then runs until killed.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startGateway } from '../../src/gateway/index.ts';
import { ensureLocalCertificates } from '../../src/gateway/tls/local-ca.ts';
import { listen } from '../support/http.ts';

const SERVICES = ['dashboard', 'feature-user-backend', 'feature-organisation-backend', 'login-service', 'onboarding', 'identity-provider'];

const upstream = await listen((req, res) => {
  req.resume();
  req.on('end', () => {
    if (req.url?.startsWith('/stream')) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(16 * 1024, 'x');
      const timer = setInterval(() => res.write(chunk), 20);
      res.on('close', () => clearInterval(timer));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '3' });
    res.end('ok\n');
  });
});

const authService = await listen((req, res) => {
  const answer = () => {
    res.writeHead(200, { 'content-length': '0' });
    res.end();
  };
  if (req.url?.includes('/slow-authz')) setTimeout(answer, 300);
  else answer();
});

const certs = ensureLocalCertificates(join(mkdtempSync(join(tmpdir(), 'gateway-process-')), 'tls'));
const gateway = await startGateway({
  ports: { http: 0, https: 0, internal: 0 },
  tls: { key: certs.key, cert: certs.cert },
  upstreams: Object.fromEntries(SERVICES.map((service) => [service, upstream.url])),
  extAuthz: { service: authService.url },
  m2m: { verify: async () => true },
  // Errors go to stderr, where the suite looks for them; access lines would only be noise.
  logger: pino({ level: 'warn' }, pino.destination(2)),
});

process.stdout.write(`${JSON.stringify({ ports: gateway.ports, ca: certs.ca })}\n`);
