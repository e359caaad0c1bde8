// `oc-edge` as a person meets it: every command and subcommand answers --help with exit 0, and
// every usage error (unknown command or option, a bad option value) exits 2 with a one-line reason.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

function run(args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/oc-edge.ts', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const COMMANDS = [
  [],
  ['build'],
  ['cookie'],
  ['cookie', 'sign'],
  ['cookie', 'verify'],
  ['simulate'],
  ['bench'],
  ['login'],
  ['keys'],
  ['keys', 'init'],
  ['keys', 'rotate'],
  ['keys', 'show'],
  ['keys', 'render'],
  ['oci'],
  ['oci', 'build'],
  ['oci', 'push'],
  ['render'],
  ['envoy'],
  ['start'],
];

test('--help of every command exits 0 and names the command', () => {
  for (const command of COMMANDS) {
    const { code, stdout } = run([...command, '--help']);
    assert.equal(code, 0, `oc-edge ${command.join(' ')} --help exited ${code}`);
    assert.match(stdout, new RegExp(`^Usage: oc-edge${command.length ? ` ${command.join(' ')}` : ''} `), `oc-edge ${command.join(' ')} --help`);
  }
});

test('usage errors exit 2 with the reason on stderr', () => {
  const cases: [string[], RegExp][] = [
    [['no-such-command'], /unknown command/],
    [['login', '--no-such-flag'], /unknown option/],
    [['bench', '--only', 'nothing'], /--only must be one of filter, login, envoy, got nothing/],
    [['bench', '--runs', 'many'], /--runs must be a positive integer, got many/],
    [['bench', '--runs', '0'], /--runs must be a positive integer/],
    [['start', '--gateway', 'apache'], /--gateway must be node or envoy/],
    [['cookie', 'sign', '--value', 'org-1'], /required option '--secret/],
    [['render', '--validate'], /go with --overlay/],
  ];
  for (const [args, reason] of cases) {
    const { code, stdout, stderr } = run(args);
    assert.equal(code, 2, `oc-edge ${args.join(' ')} exited ${code}: ${stderr}`);
    assert.match(stderr, reason, `oc-edge ${args.join(' ')}`);
    assert.equal(stdout, '', `oc-edge ${args.join(' ')} printed nothing on stdout`);
  }
});

test('every boolean option that is on by default can be turned off (oc-edge envoy --no-validate)', () => {
  const { stdout } = run(['envoy', '--help']);
  assert.match(stdout, /--no-validate/);
  assert.doesNotMatch(stdout, /--validate\s/, 'a --validate flag that defaults to true does nothing');
  const dir = mkdtempSync(join(tmpdir(), 'oc-cli-'));
  try {
    const out = join(dir, 'envoy.yaml');
    const { code, stderr } = run(['envoy', '--config-only', '--no-validate', '--out', out]);
    assert.equal(code, 0, stderr);
    assert.ok(existsSync(out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
