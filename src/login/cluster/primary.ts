// A cluster's primary (WORKERS > 1): forks the workers, which share the main port (node:cluster
// hands each new connection to the next worker), and serves the admin port for all of them —
// /metrics summed by prom-client's AggregatorRegistry, /healthz healthy only when every worker is.
// It serves no request itself. A worker that dies stops the service: the pod restarts whole
// rather than run short of a worker with nobody noticing.
import cluster, { type Worker } from 'node:cluster';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { AggregatorRegistry } from 'prom-client';
import { createAdminServer, healthy, type Health } from '../admin.ts';
import { closeServer, listen } from '../listen.ts';
import type { LoginConfig } from '../config.ts';
import { isOurs, type ToPrimary, type ToWorker } from './messages.ts';

/** How long a worker has to answer /healthz's question before it counts as unhealthy. */
const HEALTH_TIMEOUT_MS = 2000;
/** How long a stopping worker may take to close before it is killed. */
const STOP_TIMEOUT_MS = 10_000;

export interface ClusterPrimary {
  /** Settles with the exit code the process should end with once the workers are gone. */
  stopped: Promise<number>;
  /** Stops every worker (gracefully, then SIGKILL past a timeout) and the admin port. */
  stop(): Promise<number>;
}

const send = (worker: Worker, message: ToWorker) => {
  if (worker.isConnected()) worker.send(message);
};

export async function runPrimary(config: LoginConfig, logger: Logger): Promise<ClusterPrimary> {
  // Before the first fork: its constructor installs the listener for the workers' metrics.
  const aggregator = new AggregatorRegistry();
  const workers = Array.from({ length: config.workers }, () => cluster.fork());
  let stopping = false;
  let admin: Server | undefined;
  let settle!: (code: number) => void;
  const stopped = new Promise<number>((resolve) => (settle = resolve));

  const exited = workers.map((worker) => new Promise<void>((resolve) => worker.once('exit', () => resolve())));
  const stopAll = async (code: number): Promise<number> => {
    if (!stopping) {
      stopping = true;
      for (const worker of workers) send(worker, { oc: 'stop' });
      const timer = setTimeout(() => workers.forEach((worker) => worker.process.kill('SIGKILL')), STOP_TIMEOUT_MS);
      await Promise.all(exited);
      clearTimeout(timer);
      if (admin) await closeServer(admin);
      settle(code);
    }
    return stopped;
  };

  // Started: every worker reports ready (all on the one shared port, so any one's URL is the
  // service's); one exiting first fails the start (its error is on stderr).
  let ready = 0;
  const url = await new Promise<string>((resolve, reject) => {
    for (const worker of workers) {
      worker.on('message', (message: unknown) => {
        if (!isOurs<ToPrimary>(message) || message.oc !== 'ready') return;
        if (++ready === workers.length) resolve(message.url);
      });
      worker.once('exit', (code, signal) => {
        if (stopping) return;
        if (ready < workers.length) {
          const failure = new Error(`a worker (pid ${worker.process.pid}) exited ${signal ?? code} before it was ready`);
          void stopAll(1).then(() => reject(failure));
          return;
        }
        logger.error({ pid: worker.process.pid, code, signal }, 'a worker stopped: stopping the service so that it restarts whole');
        void stopAll(1);
      });
    }
  });

  admin = createAdminServer({
    metrics: async () => ({ contentType: aggregator.contentType, body: await aggregator.clusterMetrics() }),
    health: () => clusterHealth(workers),
  });
  const metricsUrl = await listen(admin, config.metricsListen).catch(async (error: unknown) => {
    await stopAll(1);
    throw error;
  });
  logger.info({ url, metricsUrl, mode: config.mode, store: config.store.kind, workers: workers.length, appOrigin: config.appOrigin }, 'login service listening');
  return { stopped, stop: () => stopAll(0) };
}

let nextQuestion = 0;

/**
 * Each worker's own health, asked over IPC. The provider and the store count as up when every
 * worker that answered says so; `workers` says how many answered healthy, and a worker that did
 * not answer in time counts as unhealthy.
 */
async function clusterHealth(workers: readonly Worker[]): Promise<Health> {
  const answers = (await Promise.all(workers.map(askHealth))).filter((health): health is Health => health !== undefined);
  const upInAll = (pick: (health: Health) => string | undefined) => (answers.length > 0 && answers.every((health) => pick(health) === 'ok') ? 'ok' : 'unreachable');
  const withProvider = answers.some((health) => health.provider !== undefined);
  return {
    ...(withProvider ? { provider: upInAll((health) => health.provider) } : {}),
    store: upInAll((health) => health.store),
    workers: { healthy: answers.filter(healthy).length, of: workers.length },
  };
}

function askHealth(worker: Worker): Promise<Health | undefined> {
  if (!worker.isConnected()) return Promise.resolve(undefined);
  const id = nextQuestion++;
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish(undefined), HEALTH_TIMEOUT_MS);
    const onMessage = (message: unknown) => {
      if (isOurs<ToPrimary>(message) && message.oc === 'health' && message.id === id) finish(message.health);
    };
    function finish(health: Health | undefined) {
      clearTimeout(timer);
      worker.off('message', onMessage);
      resolve(health);
    }
    worker.on('message', onMessage);
    send(worker, { oc: 'health?', id });
  });
}
