// The one way the login suites assert that a configuration is refused: loadConfig must throw a
// ConfigError (not any error), naming `setting` when given, with a message that starts with it.
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../src/login/index.ts';

export function configRefusal(env: Record<string, string>, setting?: string, argv: readonly string[] = []): ConfigError {
  try {
    loadConfig(env, argv);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    if (setting !== undefined) {
      assert.equal(error.setting, setting, error.message);
      assert.ok(error.message.startsWith(`${setting}: `), error.message);
    }
    return error;
  }
  assert.fail(`accepted ${JSON.stringify({ ...env, ...(argv.length ? { argv } : {}) })}`);
}
