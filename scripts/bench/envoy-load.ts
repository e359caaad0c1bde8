// The load generator of the Envoy bench: wrk (Debian's `wrk`, .ci/run installs it) with one thread
// and a fixed number of keep-alive connections, its summary read from a Lua `done` hook as JSON, so
// nothing depends on wrk's human-readable output.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const MARK = 'oc-edge-bench ';

export interface LoadResult {
  requests: number;
  seconds: number;
  /** Socket errors, timeouts and non-2xx/3xx answers: any makes the round unusable. */
  errors: number;
  p50Us: number;
  p99Us: number;
}

const DONE_HOOK = `done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("\\n${MARK}{\\"requests\\":%d,\\"durationUs\\":%d,\\"errors\\":%d,\\"p50Us\\":%d,\\"p99Us\\":%d}\\n",
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
`;

/** Writes the Lua hook into `dir`; returns its path for runLoad. */
export function writeLoadScript(dir: string): string {
  const file = join(dir, 'wrk-summary.lua');
  writeFileSync(file, DONE_HOOK);
  return file;
}

export async function runLoad(options: { wrk: string; script: string; url: string; headers: [string, string][]; connections: number; seconds: number }): Promise<LoadResult> {
  const args = ['-t', '1', '-c', String(options.connections), '-d', `${options.seconds}s`, '--timeout', '5s', '-s', options.script];
  for (const [name, value] of options.headers) args.push('-H', `${name}: ${value}`);
  args.push(options.url);
  const { stdout } = await run(options.wrk, args, { maxBuffer: 1 << 20 });
  const line = stdout.split('\n').find((l) => l.startsWith(MARK));
  if (!line) throw new Error(`wrk printed no summary:\n${stdout}`);
  const summary = JSON.parse(line.slice(MARK.length)) as { requests: number; durationUs: number; errors: number; p50Us: number; p99Us: number };
  return { requests: summary.requests, seconds: summary.durationUs / 1e6, errors: summary.errors, p50Us: summary.p50Us, p99Us: summary.p99Us };
}
