// `npm test`: builds, then runs every suite — as-pect for assembly/, node:test (through tsx) for
// the TypeScript. Arguments narrow the node:test files by substring: `npm test -- login host`.
// `--no-build` skips the build, `--no-aspect` skips as-pect.
// Suites that need the machine to themselves (SOLO) run after the rest, one at a time; the last
// line adds up every node:test run.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from './lib/artifacts.ts';

const root = REPO_ROOT;
const args = process.argv.slice(2);
const filters = args.filter((arg) => !arg.startsWith('--'));
const flag = (name: string) => args.includes(name);

function run(command: string, commandArgs: string[]): number {
  const result = spawnSync(command, commandArgs, { cwd: root, stdio: 'inherit', env: process.env });
  return result.status ?? 1;
}

function findTests(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      if (entry !== 'assembly' && entry !== 'fixtures') found.push(...findTests(path));
    } else if (entry.endsWith('.test.ts')) {
      found.push(relative(root, path));
    }
  }
  return found.sort();
}

if (!flag('--no-build')) {
  const status = run('npm', ['run', '--silent', 'build']);
  if (status !== 0) process.exit(status);
}

let failed = false;
if (!flag('--no-aspect') && filters.length === 0) {
  failed = run('npx', ['asp', '--config', 'as-pect.config.js']) !== 0;
}

/**
 * The fresh-clone suite runs the whole of `npm test` inside a clone: it gets the machine alone,
 * and the run it starts leaves it out (OC_IN_FRESH_CLONE), or it would recurse.
 */
const SOLO = ['tests/commands/fresh-clone.test.ts'];
const excluded = process.env.OC_IN_FRESH_CLONE ? SOLO : [];

const files = findTests(join(root, 'tests')).filter(
  (file) => !excluded.includes(file) && (filters.length === 0 || filters.some((filter) => file.includes(filter))),
);
if (files.length === 0) {
  console.error(`no test files match ${filters.join(', ')}`);
  process.exit(1);
}

interface Counts { pass: number; fail: number; skipped: number }

/** One node:test run, its output passed through and its closing counts read off. */
function runNodeTests(testFiles: string[], concurrency: number): Promise<{ status: number; counts: Counts }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...testFiles], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
    let tailText = '';
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      tailText = (tailText + chunk.toString()).slice(-4096);
    });
    child.once('exit', (code) => {
      const count = (name: string) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(tailText)?.[1] ?? 0);
      resolve({ status: code ?? 1, counts: { pass: count('pass'), fail: count('fail'), skipped: count('skipped') } });
    });
  });
}

const batches = [files.filter((file) => !SOLO.includes(file)), ...files.filter((file) => SOLO.includes(file)).map((file) => [file])].filter((batch) => batch.length > 0);
const total: Counts = { pass: 0, fail: 0, skipped: 0 };
let status = 0;
for (const [index, batch] of batches.entries()) {
  const result = await runNodeTests(batch, index === 0 && !SOLO.includes(batch[0]!) ? 2 : 1);
  if (result.status !== 0) status = result.status;
  total.pass += result.counts.pass;
  total.fail += result.counts.fail;
  total.skipped += result.counts.skipped;
}
console.log(`total: ${total.pass} passed, ${total.fail} failed, ${total.skipped} skipped`);
process.exit(failed || status !== 0 ? 1 : 0);
