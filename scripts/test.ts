// `npm test`: builds, then runs every suite — as-pect for assembly/, node:test (through tsx) for
// the TypeScript. Arguments narrow the node:test files by substring: `npm test -- login host`.
// `--no-build` skips the build, `--no-aspect` skips as-pect.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
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

const files = findTests(join(root, 'tests')).filter(
  (file) => filters.length === 0 || filters.some((filter) => file.includes(filter)),
);
if (files.length === 0) {
  console.error(`no test files match ${filters.join(', ')}`);
  process.exit(1);
}
const status = run(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files]);
process.exit(failed || status !== 0 ? 1 : 0);
