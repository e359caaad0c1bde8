// What real Envoy does with `x-envoy-original-path` at the edge (use_remote_address, as the
// gateway Envoy runs), on a route with a prefix rewrite and on one without, with and without a
// client-sent copy — and that the Node gateway forwards exactly the same (docs/gateway.md). The
// login service builds return URLs from this header, so a client's copy must never reach it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { Agent, request } from 'undici';
import { startEnvoy, type RunningEnvoy } from '../../scripts/lib/envoy/process.ts';
import { startGateway, ensureLocalCertificates, type RunningGateway } from '../../src/gateway/index.ts';
import type { Route } from '../../src/topology/index.ts';
import { ORIGINAL_PATH_HEADER } from '../../src/gateway/filters/url-rewrite.ts';
import { listen, type TestServer } from '../support/http.ts';
import { requireEnvoy } from '../support/tools.ts';

const { envoy: found, skip } = requireEnvoy();

// The same two routes for both: /user/… rewritten to /…, everything else forwarded as it is.
const NODE_ROUTES: Route[] = [
  { name: 'rewritten', listener: 'external', prefix: '/user', service: 'feature-user-backend', rewritePrefix: '/', extAuthz: false },
  { name: 'kept', listener: 'external', prefix: '/', service: 'dashboard', extAuthz: false },
];

function envoyConfig(upstreamPort: number) {
  const cluster = (name: string) => ({ name, type: 'STATIC', load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: upstreamPort } } } }] }] } });
  return {
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: 0 } } },
    static_resources: {
      listeners: [
        {
          name: 'edge',
          address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
          filter_chains: [
            {
              filters: [
                {
                  name: 'envoy.filters.network.http_connection_manager',
                  typed_config: {
                    '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                    stat_prefix: 'edge',
                    use_remote_address: true,
                    route_config: {
                      virtual_hosts: [
                        {
                          name: 'all',
                          domains: ['*'],
                          routes: [
                            { match: { prefix: '/user/' }, route: { cluster: 'rewritten', prefix_rewrite: '/' } },
                            { match: { prefix: '/' }, route: { cluster: 'kept' } },
                          ],
                        },
                      ],
                    },
                    http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
                  },
                },
              ],
            },
          ],
        },
      ],
      clusters: [cluster('rewritten'), cluster('kept')],
    },
  };
}

interface Seen {
  path: string;
  originalPath: string | string[] | undefined;
}

describe('x-envoy-original-path: real Envoy and the Node gateway forward the same', { skip, timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'oc-original-path-'));
  let upstream: TestServer;
  let envoy: RunningEnvoy;
  let gateway: RunningGateway;
  let trust: Agent;
  let envoyPort: number;
  let seen: Seen | undefined;

  before(async () => {
    upstream = await listen((req, res) => {
      seen = { path: req.url ?? '', originalPath: req.headers[ORIGINAL_PATH_HEADER] };
      res.end('ok');
    });
    writeFileSync(join(dir, 'envoy.json'), JSON.stringify(envoyConfig(upstream.port)));
    envoy = await startEnvoy(found!, { config: join(dir, 'envoy.json'), adminAddressFile: join(dir, 'admin'), extraArgs: ['--concurrency', '1'], logLevel: 'warning', timeoutMs: 30_000 });
    envoyPort = await envoy.listenerPort('edge');
    const tls = ensureLocalCertificates(join(dir, 'tls'));
    trust = new Agent({ connect: { ca: tls.ca, servername: 'localhost' } });
    gateway = await startGateway({
      ports: { http: 0, https: 0, internal: 0 },
      tls,
      routes: NODE_ROUTES,
      upstreams: { 'feature-user-backend': upstream.url, dashboard: upstream.url },
      logger: pino({ level: 'silent' }),
    });
  });
  after(async () => {
    await gateway?.close();
    await envoy?.stop();
    await trust?.close();
    await upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function through(origin: string, path: string, spoofed: string | undefined, dispatcher?: Agent): Promise<Seen> {
    seen = undefined;
    const response = await request(`${origin}${path}`, { headers: spoofed ? { [ORIGINAL_PATH_HEADER]: spoofed } : {}, ...(dispatcher ? { dispatcher } : {}) });
    await response.body.dump();
    assert.equal(response.statusCode, 200, `${origin}${path}`);
    assert.ok(seen, `${path} reached the upstream`);
    return seen;
  }

  const cases: { path: string; spoofed?: string; expected: Seen }[] = [
    { path: '/user/me', expected: { path: '/me', originalPath: '/user/me' } },
    { path: '/user/me', spoofed: '/elsewhere', expected: { path: '/me', originalPath: '/user/me' } },
    { path: '/kept?x=1', expected: { path: '/kept?x=1', originalPath: undefined } },
    // Envoy drops the client's copy at the edge even when it has nothing to put in its place.
    { path: '/kept', spoofed: '/elsewhere', expected: { path: '/kept', originalPath: undefined } },
  ];
  for (const { path, spoofed, expected } of cases) {
    test(`${path}${spoofed ? ` with a client-sent ${spoofed}` : ''}`, async () => {
      const fromEnvoy = await through(`http://127.0.0.1:${envoyPort}`, path, spoofed);
      const fromNode = await through(gateway.urls.https.replace('localhost', '127.0.0.1'), path, spoofed, trust);
      assert.deepEqual(fromEnvoy, expected, 'what Envoy 1.39 forwards');
      assert.deepEqual(fromNode, fromEnvoy, 'the Node gateway forwards the same');
    });
  }
});
