// `oc-edge bench` (npm run bench): the project's benchmarks. Each suite lives in scripts/bench/
// and measures against a baseline taken in the same run, so figures are ratios, not absolutes.
import type { Command } from 'commander';
import { cpus } from 'node:os';
import { UsageError } from '../lib/errors.ts';

interface BenchOptions {
  json?: boolean;
  wasm?: string;
  runs: string;
  only?: string;
}

const SUITES = ['filter', 'login'] as const;

export function register(program: Command): void {
  program
    .command('bench')
    .description('run the benchmarks: the org-context filter in the Node host, and the login service\'s ext_authz check')
    .option('--json', 'print JSON: { sizeBytes, cases: [{ name, nsPerRequest, ratioToNoop, addedNs }], login }')
    .option('--wasm <file>', 'benchmark another Proxy-Wasm module under the filter cases')
    .option('--runs <n>', 'runs per case; the median is reported', '5')
    .option('--only <suite>', `run one suite: ${SUITES.join(' | ')}`)
    .action(async (options: BenchOptions) => {
      const runs = Number(options.runs);
      if (!Number.isInteger(runs) || runs < 1) throw new UsageError(`--runs must be a positive integer, got ${options.runs}`);
      if (options.only && !SUITES.includes(options.only as (typeof SUITES)[number])) {
        throw new UsageError(`--only must be one of ${SUITES.join(', ')}, got ${options.only}`);
      }
      const wants = (suite: string) => !options.only || options.only === suite;
      const progress = (message: string) => process.stderr.write(`${message}\n`);
      const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`;
      progress(`bench on ${machine}; median of ${runs} runs`);

      const report: Record<string, unknown> = {};
      const tables: string[] = [];
      if (wants('filter')) {
        const { benchFilter, formatFilterBench } = await import('../bench/filter.ts');
        const filter = await benchFilter({ wasm: options.wasm, runs, onProgress: progress });
        Object.assign(report, filter);
        tables.push(formatFilterBench(filter));
      }
      if (wants('login')) {
        const { benchLogin, formatLoginBench } = await import('../bench/login.ts');
        const login = await benchLogin({ runs, onProgress: progress });
        report.login = login;
        tables.push(formatLoginBench(login));
      }
      report.machine = machine;
      process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : `${tables.join('\n\n')}\n`);
    });
}
