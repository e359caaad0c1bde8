// A listener's filter chain: the stages its configuration asks for, sorted into Istio's order
// (order.ts), run one after another until one answers locally.
import type { ListenerName } from '../../topology/index.ts';
import type { HeaderList } from '../headers.ts';
import type { FilterRequest } from '../types.ts';
import type { FilterResult, HttpFilter, StreamInfo } from './filter.ts';
import { FILTER_ORDER } from './order.ts';

export interface FilterChain {
  readonly listener: ListenerName;
  readonly filters: readonly HttpFilter[];
  /** Client headers a stage of this chain sanitises itself (the edge leaves them to it). */
  readonly sanitised: ReadonlySet<string>;
  decode(request: FilterRequest, stream: StreamInfo): Promise<FilterResult>;
  encode(headers: HeaderList): void;
}

export function createChain(listener: ListenerName, filters: HttpFilter[]): FilterChain {
  const ordered = [...filters].sort((a, b) => FILTER_ORDER.indexOf(a.slot) - FILTER_ORDER.indexOf(b.slot));
  return {
    listener,
    filters: ordered,
    sanitised: new Set(ordered.flatMap((filter) => filter.sanitises ?? [])),
    async decode(request, stream) {
      for (const [index, filter] of ordered.entries()) {
        const answer = await filter.decodeHeaders(request, stream);
        if (answer) {
          for (const later of ordered.slice(index + 1)) later.skipped?.(request, stream);
          return answer;
        }
      }
      return undefined;
    },
    encode(headers) {
      for (const filter of ordered) filter.encodeHeaders?.(headers, { listener });
    },
  };
}
