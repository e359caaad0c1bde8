// The Envoy bench's bootstrap: one listener per filter setup (none, the no-op module, org-context as
// configured, …), all served by the one worker, each in front of a `direct_response` route, so
// what differs between two listeners is the Wasm filter alone. The filter has the shape Istio
// builds for a WasmPlugin (root_id, FAIL_CLOSED, a V8 vm_config whose env carries the inline
// settings as key_values and the secrets as host_env_keys, the pluginConfig as a StringValue).
import { FEATURES_HEADER_DEFAULT, HOST_ENV_SETTINGS, ORG_HEADER_DEFAULT } from '../../src/topology/plugin-settings.ts';

import { anyHost, httpConnectionManager, listener, socket, wasmFilter } from '../lib/envoy/shapes.ts';

/** The measured path: a 200 with a short body, nothing else. */
export const BENCH_PATH = '/api/organisations/current?expand=features';
/**
 * Not measured: the same listener answers this path with the request headers the filter wrote as
 * response headers, so the bench can check that each setup does its job before timing it.
 */
export const CHECK_PATH = '/__bench/check';
export const CHECK_HEADERS = [ORG_HEADER_DEFAULT, FEATURES_HEADER_DEFAULT] as const;

export interface WasmSetup {
  file: string;
  rootId: string;
  /** Inline vmConfig.env (non-secret settings). */
  keyValues: Record<string, string>;
  /** Names read from Envoy's own environment (valueFrom: HOST). */
  hostEnvKeys: readonly string[];
  /** The pluginConfig: JSON for org-context, any text for other modules. */
  configuration?: string;
}

export interface ListenerSetup {
  /** Listener name, also its stat prefix. */
  name: string;
  /** No Wasm filter when absent. */
  wasm?: WasmSetup;
}

/** A setup configured as istio/base/wasmplugin.yaml configures org-context. */
export function orgContextSetup(file: string, keyValues: Record<string, string>, pluginConfig?: Record<string, unknown>): WasmSetup {
  return { file, rootId: 'org-context', keyValues, hostEnvKeys: HOST_ENV_SETTINGS, ...(pluginConfig ? { configuration: JSON.stringify(pluginConfig) } : {}) };
}

function benchWasmFilter(name: string, wasm: WasmSetup): Record<string, unknown> {
  return wasmFilter({
    name: `oneconnect.${name}`,
    rootId: wasm.rootId,
    failurePolicy: 'FAIL_CLOSED',
    ...(wasm.configuration !== undefined ? { configuration: wasm.configuration } : {}),
    // One VM per listener: Envoy shares a VM between filters whose vm_id and code match, and the
    // listeners here differ in their env.
    vmId: name,
    file: wasm.file,
    hostEnvKeys: wasm.hostEnvKeys,
    keyValues: wasm.keyValues,
  });
}

function echoHeaders(): Record<string, unknown>[] {
  return CHECK_HEADERS.map((header) => ({ header: { key: `echo-${header}`, value: `%REQ(${header})%` }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }));
}

function benchListener(setup: ListenerSetup): Record<string, unknown> {
  const manager = httpConnectionManager({
    statPrefix: setup.name,
    virtualHosts: [
      anyHost(setup.name, [
        { match: { path: CHECK_PATH }, direct_response: { status: 200 }, response_headers_to_add: echoHeaders() },
        { match: { prefix: '/' }, direct_response: { status: 200, body: { inline_string: 'ok' } } },
      ]),
    ],
    httpFilters: setup.wasm ? [benchWasmFilter(setup.name, setup.wasm)] : [],
  });
  return listener(setup.name, socket('127.0.0.1', 0), manager);
}

/** Admin and every listener on kernel-chosen ports of 127.0.0.1 (read back from the admin API). */
export function envoyBenchBootstrap(setups: ListenerSetup[]): Record<string, unknown> {
  return {
    admin: { address: socket('127.0.0.1', 0) },
    static_resources: { listeners: setups.map(benchListener) },
  };
}
