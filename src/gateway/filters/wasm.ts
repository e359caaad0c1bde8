// The org-context plugin stage: hands the request (after ext_authz and jwt_authn) to the Proxy-Wasm
// host, which runs the built filter with Envoy's semantics, and takes back the mutated headers or
// the filter's local reply. When an earlier filter already answered, the plugin still sees the
// stream's create/log/done/delete callbacks, as in Envoy (`skipHeaders`).
import type { RequestInput, RequestResult } from '../../host/types.ts';
import { localResponse, type FilterRequest, type LocalResponse } from '../types.ts';
import type { HttpFilter } from './filter.ts';
import { ORG_CONTEXT_PHASE, type FilterSlot } from './order.ts';

/** The part of src/host's Plugin this stage uses (a subset, so tests can pass a stand-in). */
export interface WasmPlugin {
  request(input: Pick<RequestInput, 'method' | 'path' | 'authority' | 'scheme' | 'headers' | 'sourceAddress' | 'metadata' | 'skipHeaders'>): Pick<RequestResult, 'headers' | 'localResponse'>;
  close(): void;
}

export interface PluginStage {
  run(request: FilterRequest, sourceAddress: string): LocalResponse | undefined;
  /** Lets the plugin see a stream that an earlier filter answered. */
  skipped(request: FilterRequest, sourceAddress: string): void;
  close(): void;
}

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

export function createPluginStage(plugin: WasmPlugin): PluginStage {
  return {
    run(request, sourceAddress) {
      let result;
      try {
        result = plugin.request({
          method: request.method,
          path: request.path,
          authority: request.authority,
          scheme: request.scheme,
          headers: request.headers,
          sourceAddress,
          metadata: request.metadata,
        });
      } catch {
        // The host reports VM failures as local replies; anything thrown is a host bug: fail closed.
        return localResponse(503, 'the org-context plugin failed\n', 'WASM');
      }
      if (result.localResponse) {
        const reply = result.localResponse;
        return localResponse(reply.status, reply.body ?? `${reply.details}\n`, 'WASM', reply.headers ?? []);
      }
      // The host returns the whole map, pseudo-headers first; the router sets those itself.
      const headers = result.headers.filter(([name]) => !name.startsWith(':'));
      // A header no HTTP/1.1 codec could send means the filter misbehaved: fail closed, like a
      // trapped VM, instead of forwarding something half-made.
      if (headers.some(([name, value]) => !HEADER_NAME.test(name) || !HEADER_VALUE.test(value))) {
        return localResponse(503, 'the org-context plugin produced an invalid header\n', 'WASM');
      }
      request.headers = headers;
      return undefined;
    },
    skipped(request, sourceAddress) {
      try {
        plugin.request({ method: request.method, path: request.path, authority: request.authority, scheme: request.scheme, headers: request.headers, sourceAddress, skipHeaders: true });
      } catch {
        // Nothing depends on it: the reply has been decided already.
      }
    },
    close: () => plugin.close(),
  };
}

/** The org-context WasmPlugin as a chain stage, in its phase's slot. */
export function wasmFilter(plugin: WasmPlugin, name = 'org-context', slot: FilterSlot = ORG_CONTEXT_PHASE): HttpFilter {
  const stage = createPluginStage(plugin);
  return {
    name,
    slot,
    decodeHeaders: (request, stream) => stage.run(request, stream.sourceAddress),
    skipped: (request, stream) => stage.skipped(request, stream.sourceAddress),
  };
}
