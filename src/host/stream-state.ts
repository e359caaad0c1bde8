// One HTTP stream as the host functions see it (Envoy: the stream's Context).
import type { HeaderMap } from './header-map.ts';
import type { StreamAttributes } from './properties.ts';
import type { LocalResponse } from './types.ts';

/** Per-stream state the host functions act on. */
export interface StreamState {
  readonly id: number;
  headers: HeaderMap | null;
  /** Request headers may change only until on_request_headers returns Continue. */
  headersWritable: boolean;
  responseHeaders: HeaderMap | null;
  responseWritable: boolean;
  inLog: boolean;
  attrs: StreamAttributes;
  localResponse: LocalResponse | null;
  closed: boolean;
  properties: Map<string, Buffer> | null;
}

/** A stream just created: request headers writable, nothing answered yet. */
export function newStream(id: number, headers: HeaderMap, attrs: StreamAttributes): StreamState {
  return {
    id,
    headers,
    headersWritable: true,
    responseHeaders: null,
    responseWritable: false,
    inLog: false,
    attrs,
    localResponse: null,
    closed: false,
    properties: null,
  };
}
