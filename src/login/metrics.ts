// One Prometheus registry per service instance (several instances may live in one test process,
// so nothing registers on prom-client's global registry).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface LoginMetrics {
  registry: Registry;
  checks: Counter<'result'>;
  checkDuration: Histogram<'result'>;
  logins: Counter<'result'>;
  refreshes: Counter<'result'>;
  logouts: Counter<'kind'>;
  revocations: Counter<'result'>;
  storeErrors: Counter<never>;
  storeEvictions: Counter<never>;
  providerUp: Gauge<never>;
  frontChannelPending: Gauge<never>;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): LoginMetrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'oc_login_' });
  const registers = [registry];
  return {
    registry,
    checks: new Counter({ name: 'oc_login_checks_total', help: 'ext_authz checks by result: allowed, redirected, unauthorized, error', labelNames: ['result'], registers }),
    checkDuration: new Histogram({
      name: 'oc_login_check_duration_seconds',
      help: 'ext_authz check latency',
      labelNames: ['result'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
    logins: new Counter({ name: 'oc_login_logins_total', help: 'logins: started, completed, or the reason they failed', labelNames: ['result'], registers }),
    refreshes: new Counter({ name: 'oc_login_refreshes_total', help: 'token refreshes: ok, rejected (session ended), failed (provider down)', labelNames: ['result'], registers }),
    logouts: new Counter({ name: 'oc_login_logouts_total', help: 'logouts by kind: provider, local', labelNames: ['kind'], registers }),
    revocations: new Counter({ name: 'oc_login_revocations_total', help: 'refresh token revocations: ok, failed', labelNames: ['result'], registers }),
    storeErrors: new Counter({ name: 'oc_login_store_errors_total', help: 'requests answered 503 because the session store failed', registers }),
    storeEvictions: new Counter({ name: 'oc_login_store_evictions_total', help: 'entries the bounded memory store dropped to stay within MEMORY_STORE_MAX_ENTRIES (their sessions must log in again)', registers }),
    frontChannelPending: new Gauge({ name: 'oc_login_frontchannel_logouts_pending', help: 'front-channel logouts that met a store outage, waiting to be retried', registers }),
    // With WORKERS > 1 the primary sums the workers' metrics; this one is up only if it is in all.
    providerUp: new Gauge({ name: 'oc_login_provider_up', help: '1 once the identity provider was discovered, 0 while unreachable', registers, aggregator: 'min' }),
  };
}
