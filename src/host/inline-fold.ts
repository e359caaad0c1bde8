// Envoy's HTTP/1 codec stores some request headers inline: a client's repeated copy of one is
// folded into the first entry with "," before any filter runs. `cookie` is not folded there (two
// cookie headers stay two entries), and names Envoy does not keep inline stay apart too.
// Checked with the differential suite on Envoy 1.36.4, 1.39.0 and 1.40.0.
import type { HeaderList } from './types.ts';

const FOLDED = new Set(['user-agent', 'accept', 'x-forwarded-for', 'x-request-id', 'content-type', 'te']);
const LONGEST = 15; // x-forwarded-for

/** `headers` with repeated folded names merged into their first entry; the same list when none repeats. */
export function foldRepeatedInlineHeaders(headers: HeaderList): HeaderList {
  let seen: Set<string> | undefined;
  let repeated = false;
  for (let i = 0; i < headers.length && !repeated; i++) {
    const name = headers[i][0];
    if (name.length > LONGEST) continue;
    const lower = name.toLowerCase();
    if (!FOLDED.has(lower)) continue;
    seen ??= new Set();
    repeated = seen.has(lower);
    seen.add(lower);
  }
  if (!repeated) return headers;
  const folded: HeaderList = [];
  const firstAt = new Map<string, number>();
  for (const [name, value] of headers) {
    const lower = name.length > LONGEST ? name : name.toLowerCase();
    const at = FOLDED.has(lower) ? firstAt.get(lower) : undefined;
    if (at === undefined) {
      if (FOLDED.has(lower)) firstAt.set(lower, folded.length);
      folded.push([name, value]);
    } else {
      folded[at] = [folded[at][0], `${folded[at][1]},${value}`];
    }
  }
  return folded;
}
