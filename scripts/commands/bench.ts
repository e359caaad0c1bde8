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
  seconds: string;
  connections: string;
  soak?: string;
  cases?: string;
}

const SUITES = ['filter', 'login', 'envoy'] as const;

export function register(program: Command): void {
  program
    .command('bench')
    .description('run the benchmarks: the org-context filter in the Node host and in real Envoy, and the login service\'s ext_authz check')
    .option('--json', 'print JSON: { sizeBytes, cases: [{ name, nsPerRequest, ratioToNoop, addedNs }], login, envoy: { envoyVersion, cases: [{ name, requestsPerSecond, p50Us, p99Us, cpuUsPerRequest, addedCpuUs, cpuRatioToNoop }], budgets } }')
    .option('--wasm <file>', 'benchmark another Proxy-Wasm module under the filter cases (Node host and Envoy)')
    .option('--runs <n>', 'runs per case; the median is reported', '5')
    .option('--only <suite>', `run one suite: ${SUITES.join(' | ')}`)
    .option('--seconds <n>', 'envoy: seconds of load per case segment (whole seconds; a round is noop, case, noop, case, …)', '1')
    .option('--connections <n>', 'envoy: wrk keep-alive connections', '16')
    .option('--cases <names>', 'envoy: only these cases, comma-separated (`prefix*` allowed; the no-op always runs; the host-call probes, probe-*, only when named)')
    .option('--soak <duration>', 'login: instead of the cases, the Redis case under load for this long (10m, 90s), sampling RSS and heap')
    .action(async (options: BenchOptions) => {
      const runs = Number(options.runs);
      if (!Number.isInteger(runs) || runs < 1) throw new UsageError(`--runs must be a positive integer, got ${options.runs}`);
      if (options.only && !SUITES.includes(options.only as (typeof SUITES)[number])) {
        throw new UsageError(`--only must be one of ${SUITES.join(', ')}, got ${options.only}`);
      }
      const seconds = Number(options.seconds);
      if (!Number.isInteger(seconds) || seconds < 1) throw new UsageError(`--seconds must be a positive integer, got ${options.seconds}`);
      const connections = Number(options.connections);
      if (!Number.isInteger(connections) || connections < 1 || connections > 1000) throw new UsageError(`--connections must be an integer from 1 to 1000, got ${options.connections}`);
      const soakMs = options.soak === undefined ? undefined : (await import('../bench/login-soak.ts')).parseSoakDuration(options.soak);
      if (options.soak !== undefined && (soakMs === undefined || options.only !== 'login')) {
        throw new UsageError(`--soak needs --only login and a duration like 10m or 90s, got ${options.soak}`);
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
      if (wants('login') && soakMs !== undefined) {
        const { soakLogin, formatLoginSoak } = await import('../bench/login-soak.ts');
        const soak = await soakLogin({ durationMs: soakMs, onProgress: progress });
        report.loginSoak = soak;
        tables.push(formatLoginSoak(soak));
      } else if (wants('login')) {
        const { benchLogin, formatLoginBench } = await import('../bench/login.ts');
        const login = await benchLogin({ runs, onProgress: progress });
        report.login = login;
        tables.push(formatLoginBench(login));
      }
      if (wants('envoy')) {
        const { benchEnvoy, formatEnvoyBench } = await import('../bench/envoy.ts');
        const envoy = await benchEnvoy({ wasm: options.wasm, rounds: runs, seconds, connections, onProgress: progress, ...(options.cases ? { cases: options.cases.split(',').map((c) => c.trim()).filter(Boolean) } : {}) });
        report.envoy = envoy;
        tables.push(formatEnvoyBench(envoy));
      }
      report.machine = machine;
      process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : `${tables.join('\n\n')}\n`);
    });
}
