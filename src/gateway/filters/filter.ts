// The one shape every stage of the Node gateway has, modelled on Envoy's HTTP filter: it sees the
// request headers and either lets the request continue or answers it locally; it may touch the
// response headers on the way back. A listener's stages run as a chain (chain.ts), in Istio's order.
import type { ListenerName, Route } from '../../topology/index.ts';
import type { HeaderList } from '../headers.ts';
import type { FilterRequest, LocalResponse } from '../types.ts';
import type { FilterSlot } from './order.ts';

/** What a filter may know about the stream besides the request itself. */
export interface StreamInfo {
  listener: ListenerName;
  /** The route the request matched (Envoy picks it before the filters run). */
  route: Route;
  /** host:port of the client, for the Wasm VM's `source.address`. */
  sourceAddress: string;
}

/** undefined: continue with the next filter (the request may have been changed in place); else the local reply. */
export type FilterResult = LocalResponse | undefined;

export interface HttpFilter {
  /** For logs: Envoy's filter name, or the plugin's. */
  readonly name: string;
  /** Where it runs in Istio's order (order.ts). */
  readonly slot: FilterSlot;
  /**
   * Client request headers this filter sanitises itself, so the connection manager must leave them
   * for it (jwt_authn and its payload header). Every other client `x-envoy-*` header is dropped at
   * the edge.
   */
  readonly sanitises?: readonly string[];
  decodeHeaders(request: FilterRequest, stream: StreamInfo): FilterResult | Promise<FilterResult>;
  /** An earlier filter answered: this one's decodeHeaders does not run, but it still sees the stream end (the Wasm VM does). */
  skipped?(request: FilterRequest, stream: StreamInfo): void;
  /** The response headers of every answer on this listener, upstream or local, before they are sent. */
  encodeHeaders?(headers: HeaderList, stream: { listener: ListenerName }): void;
}
