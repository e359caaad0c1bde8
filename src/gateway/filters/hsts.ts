// The HTTPRoutes' ResponseHeaderModifier `set: Strict-Transport-Security` on the HTTPS listener: on
// every answer, local or upstream, and replacing a backend's own value, so a backend cannot weaken
// it (`max-age=0`).
import { set } from '../headers.ts';
import type { HttpFilter } from './filter.ts';

export function hstsFilter(value: string): HttpFilter {
  return {
    name: 'response-header-modifier',
    slot: 'response-header-modifier',
    decodeHeaders: () => undefined,
    encodeHeaders: (headers) => set(headers, 'strict-transport-security', value),
  };
}
