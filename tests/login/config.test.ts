// Configuration: defaults, flags over environment, and a ConfigError naming the setting for every
// bad value (exit code 2 from the command line) — without ever echoing a secret.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { loadConfig, SETTINGS } from '../../src/login/index.ts';
import { startOidcTestProvider } from '../../fixtures/oidc-provider.ts';
import { REPO_ROOT } from '../../scripts/lib/artifacts.ts';
import { configRefusal as rejects } from '../support/config-refusal.ts';

const root = REPO_ROOT;
const BASE = { APP_ORIGIN: 'https://localhost:8443', OIDC_ISSUER: 'https://idp.example.com/pool', OIDC_CLIENT_ID: 'app-client' };

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: root, env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(BASE);
    assert.deepEqual(config.listen, { host: '127.0.0.1', port: 4180 });
    assert.deepEqual(config.metricsListen, { host: '127.0.0.1', port: 4181 });
    assert.equal(config.store.kind, 'memory');
    assert.equal(config.cookieName, '__Host-oc-session');
    assert.equal(config.cookieSecure, true);
    assert.deepEqual(config.scopes, ['openid', 'email', 'profile']);
    assert.equal(config.logoutMode, 'oidc');
    assert.equal(config.idTokenHint, 'query');
    assert.equal(config.sessionMaxAgeMs, 10 * 3600 * 1000);
    assert.equal(config.inactivityTimeoutMs, 0);
    assert.equal(config.refreshBeforeExpiryMs, 300_000);
    assert.equal(config.encryptionKeyGenerated, true);
    assert.equal(config.appOrigin, 'https://localhost:8443');
  });

  it('uses a plain cookie name on an http origin, and lets flags win over the environment', () => {
    const config = loadConfig({ ...BASE, APP_ORIGIN: 'http://localhost:8080', LISTEN: '0.0.0.0:1' }, ['--listen', '127.0.0.1:0', '--session-max-age=90m']);
    assert.equal(config.cookieName, 'oc-session');
    assert.deepEqual(config.listen, { host: '127.0.0.1', port: 0 });
    assert.equal(config.sessionMaxAgeMs, 90 * 60_000);
  });

  it('accepts Redis with a shared key, and a Cognito logout URL', () => {
    const key = Buffer.alloc(32, 7);
    const config = loadConfig({
      ...BASE,
      SESSION_STORE: 'redis',
      REDIS_URL: 'redis://:pw@127.0.0.1:6379/2',
      ENCRYPTION_KEY: key.toString('hex'),
      LOGOUT_MODE: 'cognito',
      COGNITO_LOGOUT_URL: 'https://pool.auth.eu-west-1.amazoncognito.com/logout',
    });
    assert.deepEqual(config.store, { kind: 'redis', url: 'redis://:pw@127.0.0.1:6379/2' });
    assert.deepEqual(config.encryptionKey, key);
    assert.equal(config.cognitoLogoutUrl?.href, 'https://pool.auth.eu-west-1.amazoncognito.com/logout');
  });

  it('names the missing required setting', () => {
    for (const name of ['APP_ORIGIN', 'OIDC_ISSUER', 'OIDC_CLIENT_ID']) {
      const env: Record<string, string> = { ...BASE };
      delete env[name];
      assert.match(rejects(env, name).message, /is required/);
    }
  });

  it('names the bad setting for every invalid value', () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ APP_ORIGIN: 'https://app.example.com/path' }, 'APP_ORIGIN'],
      [{ APP_ORIGIN: 'not a url' }, 'APP_ORIGIN'],
      [{ APP_ORIGIN: 'ftp://x' }, 'APP_ORIGIN'],
      [{ OIDC_ISSUER: 'http://idp.example.com' }, 'OIDC_ISSUER'],
      [{ OIDC_ISSUER: 'https://idp.example.com/?q=1' }, 'OIDC_ISSUER'],
      [{ OIDC_CLIENT_ID: 'has space' }, 'OIDC_CLIENT_ID'],
      [{ OIDC_SCOPES: 'email profile' }, 'OIDC_SCOPES'],
      [{ LOGOUT_MODE: 'sometimes' }, 'LOGOUT_MODE'],
      [{ LOGOUT_MODE: 'cognito' }, 'COGNITO_LOGOUT_URL'],
      [{ LOGOUT_ID_TOKEN_HINT: 'header' }, 'LOGOUT_ID_TOKEN_HINT'],
      [{ LISTEN: '4180' }, 'LISTEN'],
      [{ METRICS_LISTEN: 'localhost:99999' }, 'METRICS_LISTEN'],
      [{ SESSION_STORE: 'mongo' }, 'SESSION_STORE'],
      [{ SESSION_STORE: 'redis' }, 'REDIS_URL'],
      [{ SESSION_STORE: 'redis', REDIS_URL: 'http://127.0.0.1:6379' }, 'REDIS_URL'],
      [{ SESSION_STORE: 'redis', REDIS_URL: 'redis://127.0.0.1:6379' }, 'ENCRYPTION_KEY'],
      [{ ENCRYPTION_KEY: 'c2hvcnQ=' }, 'ENCRYPTION_KEY'],
      [{ SESSION_MAX_AGE: '10 years' }, 'SESSION_MAX_AGE'],
      [{ SESSION_MAX_AGE: '0' }, 'SESSION_MAX_AGE'],
      [{ SESSION_INACTIVITY_TIMEOUT: '-1s' }, 'SESSION_INACTIVITY_TIMEOUT'],
      [{ REFRESH_BEFORE_EXPIRY: 'soon' }, 'REFRESH_BEFORE_EXPIRY'],
      [{ PROVIDER_TIMEOUT: '5ms' }, 'PROVIDER_TIMEOUT'],
      [{ SESSION_COOKIE_NAME: 'bad name' }, 'SESSION_COOKIE_NAME'],
      [{ APP_ORIGIN: 'http://localhost:8080', SESSION_COOKIE_NAME: '__Host-x' }, 'SESSION_COOKIE_NAME'],
      [{ CHECK_PATH_PREFIX: 'ext-authz/' }, 'CHECK_PATH_PREFIX'],
      [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
      [{ ALLOW_INSECURE_ISSUER: 'maybe' }, 'ALLOW_INSECURE_ISSUER'],
    ];
    for (const [change, setting] of cases) rejects({ ...BASE, ...change }, setting);
  });

  it('never echoes a secret in its errors', () => {
    const key = 'c3VwZXItc2VjcmV0LWJ1dC1zaG9ydA';
    assert.doesNotMatch(rejects({ ...BASE, ENCRYPTION_KEY: key }, 'ENCRYPTION_KEY').message, new RegExp(key));
    const url = 'redis//:hunter2@host';
    assert.doesNotMatch(rejects({ ...BASE, SESSION_STORE: 'redis', REDIS_URL: url, ENCRYPTION_KEY: Buffer.alloc(32).toString('base64') }, 'REDIS_URL').message, /hunter2/);
  });

  it('rejects unknown flags, and has no flag for a secret', () => {
    rejects(BASE, 'argv', ['--client-secret', 'x']);
    rejects(BASE, 'argv', ['--bogus']);
    for (const setting of SETTINGS) {
      if (['OIDC_CLIENT_SECRET', 'ENCRYPTION_KEY', 'REDIS_URL'].includes(setting.env)) assert.equal(setting.flag, undefined, setting.env);
    }
  });
});

describe('docs/login.md', () => {
  it('documents every setting with its flag and default', async () => {
    const { readFile } = await import('node:fs/promises');
    const docs = await readFile(new URL('../../docs/login.md', import.meta.url), 'utf8');
    for (const setting of SETTINGS) {
      const row = docs.split('\n').find((line) => line.startsWith(`| \`${setting.env}\` |`));
      assert.ok(row, `${setting.env} has a row in the configuration table`);
      if (setting.flag) assert.ok(row!.includes(`\`--${setting.flag}\``), `${setting.env} row names --${setting.flag}`);
      if (setting.default) assert.ok(row!.includes(`\`${setting.default}\``), `${setting.env} row shows its default ${setting.default}`);
    }
  });
});

describe('command line', () => {
  it('oc-edge login --help lists every flag and the environment-only secrets', async () => {
    const { code, stdout } = await run(['scripts/oc-edge.ts', 'login', '--help'], {});
    assert.equal(code, 0);
    for (const setting of SETTINGS) assert.ok(stdout.includes(setting.flag ? `--${setting.flag}` : setting.env), setting.env);
  });

  it('exits 2 naming the setting when the configuration is bad', async () => {
    const viaToolchain = await run(['scripts/oc-edge.ts', 'login', '--issuer', 'https://idp.example.com'], { OIDC_CLIENT_ID: 'x' });
    assert.equal(viaToolchain.code, 2);
    assert.match(viaToolchain.stderr, /APP_ORIGIN: is required/);
    const direct = await run(['src/login/main.ts', '--app-origin=https://a.example', '--issuer=https://i.example', '--client-id=x', '--session-store=redis'], {});
    assert.equal(direct.code, 2);
    assert.match(direct.stderr, /REDIS_URL: is required/);
    const help = await run(['src/login/main.ts', '--help'], {});
    assert.equal(help.code, 0);
    assert.match(help.stdout, /SESSION_INACTIVITY_TIMEOUT/);
  });

  it('runs on its own (node src/login/main.ts), serves health, and stops on SIGTERM', async () => {
    const provider = await startOidcTestProvider({ appOrigin: 'https://app.test' });
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/login/main.ts', '--listen=127.0.0.1:0', '--metrics-listen=127.0.0.1:0'], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        APP_ORIGIN: 'https://app.test',
        OIDC_ISSUER: provider.issuer,
        OIDC_CLIENT_ID: provider.client.clientId,
        OIDC_CLIENT_SECRET: provider.client.clientSecret,
      },
    });
    try {
      let out = '';
      const metricsUrl = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no listening line: ${out}`)), 15000);
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const line = out.split('\n').find((l) => l.includes('login service listening'));
          if (line) {
            clearTimeout(timer);
            resolve((JSON.parse(line) as { metricsUrl: string }).metricsUrl);
          }
        });
      });
      let status = 0;
      for (let i = 0; i < 50 && status !== 200; i++) {
        status = (await fetch(`${metricsUrl}/healthz`)).status;
        if (status !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(status, 200);
      assert.doesNotMatch(out, new RegExp(provider.client.clientSecret));
      const exit = new Promise<number | null>((resolve) => child.on('exit', resolve));
      child.kill('SIGTERM');
      assert.equal(await exit, 0);
    } finally {
      child.kill('SIGKILL');
      await provider.close();
    }
  });
});
