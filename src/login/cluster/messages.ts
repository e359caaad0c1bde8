// What a cluster's primary and its workers say to each other over the IPC channel. prom-client's
// metrics requests use the same channel with their own `type`s; ours carry `oc`.
import type { Health } from '../admin.ts';

export type ToWorker = { oc: 'health?'; id: number } | { oc: 'stop' };

export type ToPrimary = { oc: 'ready'; url: string } | { oc: 'health'; id: number; health: Health };

/** One of ours (not prom-client's); which side's messages a process gets is fixed by its role. */
export function isOurs<T extends ToWorker | ToPrimary>(message: unknown): message is T {
  return typeof message === 'object' && message !== null && typeof (message as { oc?: unknown }).oc === 'string';
}
