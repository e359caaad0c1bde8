// `--help` names every mode with the settings it cannot start without, from MODE_GUIDE (config.ts),
// and docs/login.md's "Configuration per mode" names the same settings as required: one list, read
// by both, and a test that fails when either drifts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { usage } from '../../src/login/cli.ts';
import { LOGIN_MODES, MODE_GUIDE, SETTINGS } from '../../src/login/config.ts';
import { REPO_ROOT } from '../../scripts/lib/artifacts.ts';

const SETTING_NAME = /\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b|\bINGRESS\b/g;

/** The "Required" cell of each row of the per-mode configuration table in docs/login.md. */
function documentedRequired(): Map<string, string> {
  const docs = readFileSync(join(REPO_ROOT, 'docs/login.md'), 'utf8');
  const section = docs.slice(docs.indexOf('### Configuration per mode'));
  const rows = new Map<string, string>();
  for (const line of section.split('\n').slice(1)) {
    if (line.startsWith('###')) break;
    const cells = line.split(' | ');
    const mode = /^\| `([a-z-]+)`/.exec(line)?.[1];
    if (mode && cells[1]) rows.set(mode, cells[1]);
  }
  return rows;
}

describe('login --help', () => {
  const help = usage();

  it('lists every mode, each with the settings it needs', () => {
    for (const mode of LOGIN_MODES) {
      const at = help.indexOf(`\n  ${mode}: `);
      assert.ok(at > 0, `${mode} is not listed`);
      const needsLine = help.slice(at).split('\n')[2]!;
      assert.equal(needsLine.trim(), `needs ${MODE_GUIDE[mode].needs.join(', ')}`, mode);
    }
    assert.ok(help.indexOf('\n  sso-proxy: ') < help.indexOf('\nSettings:'), 'the modes come before the settings');
  });

  it('oc-edge login --help lists the same modes', () => {
    const help = execFileSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scripts/oc-edge.ts'), 'login', '--help'], { encoding: 'utf8' });
    for (const mode of LOGIN_MODES) assert.ok(help.includes(`  ${mode}: ${MODE_GUIDE[mode].runs}\n      needs ${MODE_GUIDE[mode].needs.join(', ')}`), `${mode} is not listed`);
  });

  it('names only real settings, the same ones docs/login.md requires per mode', () => {
    const known = new Set(SETTINGS.map((setting) => setting.env));
    const docs = documentedRequired();
    assert.deepEqual([...docs.keys()].sort(), [...LOGIN_MODES].sort(), 'the docs table has a row per mode');
    for (const mode of LOGIN_MODES) {
      const named = new Set(MODE_GUIDE[mode].needs.join(' ').match(SETTING_NAME) ?? []);
      assert.ok(named.size >= 3, mode);
      for (const name of named) {
        assert.ok(known.has(name), `${mode}: ${name} is not a setting`);
        assert.match(docs.get(mode)!, new RegExp(`\`${name}[\`=]`), `${mode}: ${name} is in --help but not in the docs' Required column`);
      }
      for (const name of docs.get(mode)!.match(SETTING_NAME) ?? []) {
        assert.ok(named.has(name), `${mode}: the docs require ${name}, --help does not say so`);
      }
    }
  });
});
