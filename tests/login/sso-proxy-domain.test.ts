// An SSO proxy given SSO_DOMAIN checks at start that its app is on the domain: outside it the
// browser never sends the server's Domain cookie, and the proxy would silently see no session.
// The same check (and the same code) as the SSO server's own origin.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { loadConfig } from '../../src/login/index.ts';
import { REPO_ROOT } from '../../scripts/lib/artifacts.ts';
import { configRefusal as refusal } from '../support/config-refusal.ts';

const PROXY_ENV = {
  LOGIN_MODE: 'sso-proxy',
  SSO_SERVER_URL: 'https://sso.example.com',
  SESSION_COOKIE_NAME: '__Secure-oc-sso',
  ENCRYPTION_KEY: Buffer.alloc(32, 3).toString('base64'),
  SESSION_STORE: 'redis',
  REDIS_URL: 'redis://redis:6379',
  UPSTREAM_URL: 'http://127.0.0.1:8080',
  APP_ORIGIN: 'https://app-a.example.com',
};

describe('sso-proxy with SSO_DOMAIN', () => {
  it('starts when the app is on the domain or a subdomain of it, and without SSO_DOMAIN as before', () => {
    for (const [origin, domain] of [
      ['https://app-a.example.com', 'example.com'],
      ['https://example.com', 'example.com'],
      ['https://a.b.example.com:8443', 'EXAMPLE.com'],
      ['http://app-a.sso.localhost:4301', '.sso.localhost'],
    ]) {
      assert.equal(loadConfig({ ...PROXY_ENV, APP_ORIGIN: origin!, SSO_DOMAIN: domain! }).mode, 'sso-proxy', `${origin} on ${domain}`);
    }
    assert.equal(loadConfig({ ...PROXY_ENV, APP_ORIGIN: 'https://anything.test' }).mode, 'sso-proxy');
    assert.equal(loadConfig({ ...PROXY_ENV, SSO_DOMAIN: 'example.com' }).cookieDomain, undefined, 'the proxy still sets no cookie');
  });

  it('refuses an app outside the domain, naming SSO_DOMAIN and the origin', () => {
    for (const origin of ['https://app.other.com', 'https://notexample.com', 'https://example.com.evil.test', 'https://app-a.example.co', 'https://127.0.0.1']) {
      const error = refusal({ ...PROXY_ENV, APP_ORIGIN: origin, SSO_DOMAIN: 'example.com' });
      assert.equal(error.setting, 'SSO_DOMAIN', origin);
      assert.equal(error.message, `SSO_DOMAIN: APP_ORIGIN ${origin} (the app behind this SSO proxy) must be on example.com or a subdomain`);
    }
    const { APP_ORIGIN: _, ...viaIngress } = PROXY_ENV;
    assert.equal(refusal({ ...viaIngress, INGRESS: 'https://app.other.com/app', SSO_DOMAIN: 'example.com' }).setting, 'SSO_DOMAIN', 'APP_ORIGIN from INGRESS is checked too');
    assert.equal(refusal({ ...PROXY_ENV, SSO_DOMAIN: 'exa mple.com' }).setting, 'SSO_DOMAIN', 'not a DNS name');
    const wonderwall = {
      WONDERWALL_SSO_ENABLED: 'true',
      WONDERWALL_SSO_MODE: 'proxy',
      WONDERWALL_SSO_DOMAIN: 'example.com',
      WONDERWALL_SSO_SERVER_URL: 'https://sso.example.com',
      WONDERWALL_SSO_SESSION_COOKIE_NAME: 'sso-session',
      WONDERWALL_ENCRYPTION_KEY: PROXY_ENV.ENCRYPTION_KEY,
      WONDERWALL_REDIS_URI: 'redis://redis:6379',
      WONDERWALL_UPSTREAM_HOST: '127.0.0.1:8080',
    };
    assert.equal(loadConfig({ ...wonderwall, WONDERWALL_INGRESS: 'https://app-a.example.com' }).mode, 'sso-proxy');
    assert.equal(refusal({ ...wonderwall, WONDERWALL_INGRESS: 'https://app-a.elsewhere.com' }).setting, 'SSO_DOMAIN', "Wonderwall's variable");
  });

  it('stops the command line with exit 2 and the message', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/login/main.ts'], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', ...PROXY_ENV, APP_ORIGIN: 'https://app.other.com', SSO_DOMAIN: 'example.com' },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 2, stderr);
    assert.match(stderr, /^login: SSO_DOMAIN: APP_ORIGIN https:\/\/app\.other\.com \(the app behind this SSO proxy\) must be on example\.com/);
  });
});
