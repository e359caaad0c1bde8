// Real Envoy running the org-context module the way Istio configures a WasmPlugin: a Wasm HTTP
// filter whose PluginConfig carries root_id, failure_policy FAIL_CLOSED and a V8 vm_config with
// the WasmPlugin's env (INLINE entries as key_values, valueFrom: HOST ones as host_env_keys, read
// from Envoy's own environment), in front of one upstream. Every port is chosen by the kernel
// (port 0): the test reads the admin address from --admin-address-path and the listener's from
// the admin API. envoy.test.ts validates this bootstrap with `envoy --mode validate` too.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { HOST_ENV_SETTINGS } from '../../src/topology/plugin-settings.ts';
import { inlinePluginEnv } from '../../scripts/lib/envoy/bootstrap.ts';
import { envoyInvocation } from '../../scripts/lib/envoy/run.ts';
import type { LocatedEnvoy } from '../../scripts/lib/envoy/locate.ts';

const TYPE = (name: string) => `type.googleapis.com/${name}`;
export const SMOKE_LISTENER = 'org-context-smoke';

/**
 * What a test may change in that filter (every field optional; none given is Istio's filter as
 * istio/base/wasmplugin.yaml has it): the failure policy (WasmPlugin failStrategy, or FAIL_RELOAD,
 * which Istio does not offer), the PluginConfig's reload_config, the pluginConfig (Istio's JSON in a
 * StringValue) and the inline env (replacing inlinePluginEnv('local') entirely).
 */
export interface WasmFilterOptions {
  failurePolicy?: 'FAIL_CLOSED' | 'FAIL_OPEN' | 'FAIL_RELOAD';
  reloadConfig?: Record<string, unknown>;
  pluginConfig?: Record<string, unknown>;
  keyValues?: Record<string, string>;
}

/** The filter Istio builds for istio/base/wasmplugin.yaml (module fetched to a local file). */
export function istioWasmPluginFilter(wasmFile: string, options: WasmFilterOptions = {}): Record<string, unknown> {
  return {
    name: 'oneconnect.org-context',
    typed_config: {
      '@type': TYPE('envoy.extensions.filters.http.wasm.v3.Wasm'),
      config: {
        // Istio: name <namespace>.<WasmPlugin name>, root_id the plugin's name.
        name: 'oneconnect.org-context',
        root_id: 'org-context',
        // failStrategy: FAIL_CLOSE.
        failure_policy: options.failurePolicy ?? 'FAIL_CLOSED',
        ...(options.reloadConfig ? { reload_config: options.reloadConfig } : {}),
        ...(options.pluginConfig ? { configuration: { '@type': TYPE('google.protobuf.StringValue'), value: JSON.stringify(options.pluginConfig) } } : {}),
        vm_config: {
          runtime: 'envoy.wasm.runtime.v8',
          code: { local: { filename: wasmFile } },
          environment_variables: { host_env_keys: [...HOST_ENV_SETTINGS], key_values: options.keyValues ?? inlinePluginEnv('local') },
        },
      },
    },
  };
}

/**
 * `accessLog`: a file the listener logs each request to, one line per request:
 * `<x-request-tag header> <response code> <response code details>` (e.g. `- 503 wasm_fail_stream`).
 */
export function filterSmokeBootstrap(options: { wasm: string; upstreamPort: number; filter?: WasmFilterOptions; accessLog?: string }): Record<string, unknown> {
  const address = (port: number) => ({ socket_address: { address: '127.0.0.1', port_value: port } });
  return {
    admin: { address: address(0) },
    static_resources: {
      listeners: [
        {
          name: SMOKE_LISTENER,
          address: address(0),
          filter_chains: [
            {
              filters: [
                {
                  name: 'envoy.filters.network.http_connection_manager',
                  typed_config: {
                    '@type': TYPE('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager'),
                    stat_prefix: 'smoke',
                    ...(options.accessLog
                      ? {
                          access_log: [
                            {
                              name: 'envoy.access_loggers.file',
                              typed_config: {
                                '@type': TYPE('envoy.extensions.access_loggers.file.v3.FileAccessLog'),
                                path: options.accessLog,
                                log_format: { text_format_source: { inline_string: '%REQ(X-REQUEST-TAG)% %RESPONSE_CODE% %RESPONSE_CODE_DETAILS%\n' } },
                              },
                            },
                          ],
                        }
                      : {}),
                    route_config: { name: 'smoke', virtual_hosts: [{ name: 'smoke', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'echo' } }] }] },
                    http_filters: [istioWasmPluginFilter(options.wasm, options.filter), { name: 'envoy.filters.http.router', typed_config: { '@type': TYPE('envoy.extensions.filters.http.router.v3.Router') } }],
                  },
                },
              ],
            },
          ],
        },
      ],
      clusters: [
        {
          name: 'echo',
          type: 'STATIC',
          connect_timeout: '2s',
          load_assignment: { cluster_name: 'echo', endpoints: [{ lb_endpoints: [{ endpoint: { address: address(options.upstreamPort) } }] }] },
        },
      ],
    },
  };
}

export interface RunningEnvoy {
  adminUrl: string;
  /** The port a listener is bound to. */
  listenerPort(name: string): Promise<number>;
  /** Envoy's (and func-e's) output so far, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

/** Polls `probe` every 100 ms until it returns a value; fails after `timeoutMs` with `what` and the log. */
async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, log: () => string, child: ChildProcess): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`Envoy exited (${child.exitCode ?? child.signalCode}) before ${what}:\n${log()}`);
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await sleep(100);
  }
  throw new Error(`no ${what} within ${timeoutMs / 1000} s:\n${log()}`);
}

/** Starts Envoy (through func-e when installed) and resolves once its admin API reports it ready. */
export async function startEnvoy(
  found: LocatedEnvoy,
  options: { config: string; adminAddressFile: string; env: Record<string, string>; timeoutMs?: number; /** More Envoy flags, e.g. --concurrency 1. */ extraArgs?: string[] },
): Promise<RunningEnvoy> {
  // --disable-hot-restart: no shared-memory base id, so parallel suites' Envoys never collide.
  const envoyArgs = ['-c', options.config, '--admin-address-path', options.adminAddressFile, '--disable-hot-restart', '--log-level', 'info', ...(options.extraArgs ?? [])];
  const invocation = envoyInvocation(found, envoyArgs);
  const child = spawn(invocation.command, invocation.args, { env: { ...invocation.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const append = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-64_000);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const log = () => `$ ${invocation.command} ${invocation.args.join(' ')}\n${output}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    // ref: false — the timer must not keep the suite alive once Envoy has exited.
    const stopped = await Promise.race([exited.then(() => true), sleep(10_000, false, { ref: false })]);
    if (!stopped) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  try {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const adminUrl = await waitFor(
      'admin address file',
      timeoutMs,
      async () => (existsSync(options.adminAddressFile) && readFileSync(options.adminAddressFile, 'utf8').trim() ? `http://${readFileSync(options.adminAddressFile, 'utf8').trim()}` : undefined),
      log,
      child,
    );
    await waitFor('ready from /ready', timeoutMs, async () => ((await fetch(`${adminUrl}/ready`)).status === 200 ? true : undefined), log, child);
    return {
      adminUrl,
      log,
      stop,
      async listenerPort(name) {
        const listeners = (await (await fetch(`${adminUrl}/listeners?format=json`)).json()) as { listener_statuses: { name: string; local_address: { socket_address: { port_value: number } } }[] };
        const port = listeners.listener_statuses.find((l) => l.name === name)?.local_address.socket_address.port_value;
        if (!port) throw new Error(`no listener ${name} in /listeners: ${JSON.stringify(listeners)}\n${log()}`);
        return port;
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

export interface EnvoyExit {
  /** Exit code, or null when Envoy was killed (by a signal, or by this helper at the deadline). */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Envoy was still running at `timeoutMs` (and was killed): it did not refuse the config. */
  timedOut: boolean;
  /** The command line and Envoy's (and func-e's) output, for failure messages. */
  log: string;
}

/**
 * Starts Envoy exactly as startEnvoy does (through func-e when installed) and waits for it to exit,
 * for a config it must refuse; an Envoy still running at `timeoutMs` is killed and reported.
 */
export async function runEnvoyUntilExit(found: LocatedEnvoy, options: { config: string; adminAddressFile: string; env: Record<string, string>; timeoutMs?: number }): Promise<EnvoyExit> {
  const envoyArgs = ['-c', options.config, '--admin-address-path', options.adminAddressFile, '--disable-hot-restart', '--log-level', 'info'];
  const invocation = envoyInvocation(found, envoyArgs);
  const child = spawn(invocation.command, invocation.args, { env: { ...invocation.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const append = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-64_000);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  const deadline = sleep(options.timeoutMs ?? 30_000, 'timeout' as const, { ref: false });
  let timedOut = false;
  if ((await Promise.race([exited, deadline])) === 'timeout') {
    timedOut = true;
    // SIGTERM first: func-e passes it on to Envoy, a SIGKILL would orphan Envoy.
    child.kill('SIGTERM');
    if ((await Promise.race([exited, sleep(10_000, 'timeout' as const, { ref: false })])) === 'timeout') child.kill('SIGKILL');
  }
  const { code, signal } = await exited;
  return { code, signal, timedOut, log: `$ ${invocation.command} ${invocation.args.join(' ')}\n${output}` };
}
