// The built org-context filter the suites run. `npm test` builds it first; run alone, a suite
// skips without it, and under CI=true a missing build is an error, like a missing tool
// (tests/support/tools.ts). OC_FILTER_WASM points every suite at another build.
import { existsSync } from 'node:fs';
import { FILTER_WASM } from '../../scripts/lib/artifacts.ts';

const RELEASE = FILTER_WASM.absolute;

export function filterWasm(): { path?: string; skip?: string } {
  const path = process.env.OC_FILTER_WASM || RELEASE;
  if (existsSync(path)) return { path };
  const reason = `${path} not built (npm run build)`;
  if (process.env.CI === 'true') throw new Error(`CI=true but ${reason}`);
  return { skip: reason };
}
