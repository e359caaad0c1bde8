// One worker of a cluster: the service on the shared main port, without the admin port (the
// primary has it). It answers the primary's health and metrics requests, and stops when the
// primary says so or goes away. Signals are the primary's to handle: a terminal's Ctrl-C reaches
// the whole process group, and the primary stops every worker in order.
import { AggregatorRegistry } from 'prom-client';
import type { LoginConfig } from '../config.ts';
import { startLoginService, type LoginService } from '../server.ts';
import { isOurs, type ToPrimary, type ToWorker } from './messages.ts';

const send = (message: ToPrimary) => process.send?.(message);

export async function runWorker(config: LoginConfig): Promise<LoginService> {
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => {});
  const service = await startLoginService(config, { admin: false });
  // prom-client answers the primary's AggregatorRegistry from these registries once a registry
  // of its cluster kind exists in this process.
  AggregatorRegistry.setRegistries([service.metrics.registry]);
  new AggregatorRegistry();
  const stop = () => void service.close().then(() => process.exit(0));
  process.on('message', (message) => {
    if (!isOurs<ToWorker>(message)) return;
    if (message.oc === 'stop') stop();
    else if (message.oc === 'health?') {
      // health() does not reject today; if it ever did, this worker must answer unhealthy, not crash.
      void service.health().then(
        (health) => send({ oc: 'health', id: message.id, health }),
        () => send({ oc: 'health', id: message.id, health: { store: 'unreachable' } }),
      );
    }
  });
  // A primary that dies without stopping us (SIGKILL, OOM) closes the IPC channel, and node:cluster
  // then exits this worker by itself: no orphan keeps serving (workers.test.ts kills a primary).
  send({ oc: 'ready', url: service.url });
  return service;
}
