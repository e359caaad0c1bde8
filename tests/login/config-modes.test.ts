// LOGIN_MODE and the standalone settings: defaults, the settings a mode needs, ingresses, and
// Wonderwall's WONDERWALL_* variables as aliases (ours win).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, settingsFromOptions } from '../../src/login/config.ts';
import { configRefusal as refused } from '../support/config-refusal.ts';

const BASE = { APP_ORIGIN: 'https://app.example.com', OIDC_ISSUER: 'https://idp.example.com/pool', OIDC_CLIENT_ID: 'app-client' };

describe('LOGIN_MODE and standalone settings', () => {
  it('defaults to ext-authz with one root ingress and autologin off', () => {
    const config = loadConfig(BASE);
    assert.equal(config.mode, 'ext-authz');
    assert.deepEqual(config.ingresses, [{ origin: BASE.APP_ORIGIN, prefix: '' }]);
    assert.equal(config.autoLogin.enabled, false);
    assert.deepEqual(config.upstreamIdToken, { include: false, header: 'x-id-token' });
  });

  it('needs UPSTREAM_URL in standalone and sso-proxy, and refuses unknown modes', () => {
    refused({ ...BASE, LOGIN_MODE: 'standalone' }, 'UPSTREAM_URL');
    refused({ ...BASE, LOGIN_MODE: 'sso-proxy' }, 'UPSTREAM_URL');
    refused({ ...BASE, LOGIN_MODE: 'proxy' }, 'LOGIN_MODE');
    const config = loadConfig({ ...BASE, LOGIN_MODE: 'standalone', UPSTREAM_URL: 'http://127.0.0.1:8080' });
    assert.equal(config.upstream?.origin, 'http://127.0.0.1:8080');
  });

  it('reads ingresses on APP_ORIGIN, derives APP_ORIGIN from them, and refuses foreign ones', () => {
    const { APP_ORIGIN: _, ...noOrigin } = BASE;
    const config = loadConfig({ ...noOrigin, INGRESS: 'https://app.example.com/,https://app.example.com/admin/' });
    assert.equal(config.appOrigin, 'https://app.example.com');
    assert.deepEqual(config.ingresses.map((i) => i.prefix), ['', '/admin']);
    refused({ ...BASE, INGRESS: 'https://other.example.com/' }, 'INGRESS');
    refused({ ...BASE, INGRESS: 'https://app.example.com/a?b' }, 'INGRESS');
    refused({ ...BASE, TRUSTED_PROXIES: '10.0.0.0/33' }, 'TRUSTED_PROXIES');
    refused({ ...BASE, TRUSTED_PROXIES: 'not-an-ip' }, 'TRUSTED_PROXIES');
    refused({ ...BASE, UPSTREAM_ID_TOKEN_HEADER: 'authorization' }, 'UPSTREAM_ID_TOKEN_HEADER');
    refused({ ...BASE, AUTO_LOGIN_IGNORE_PATHS: 'relative/*' }, 'AUTO_LOGIN_IGNORE_PATHS');
    assert.deepEqual(loadConfig({ ...BASE, TRUSTED_PROXIES: '10.0.0.0/8, ::1' }).trustedProxies, ['10.0.0.0/8', '::1']);
  });

  it('takes a Wonderwall environment in one step (aliases, translated; ours win)', () => {
    const config = loadConfig({
      WONDERWALL_OPENID_CLIENT_ID: 'ww-client',
      WONDERWALL_OPENID_CLIENT_SECRET: 'ww-secret',
      WONDERWALL_OPENID_WELL_KNOWN_URL: 'https://idp.example.com/pool/.well-known/openid-configuration',
      WONDERWALL_OPENID_SCOPES: 'email,profile',
      WONDERWALL_INGRESS: 'https://ww.example.com/app',
      WONDERWALL_UPSTREAM_HOST: '127.0.0.1:8080',
      WONDERWALL_AUTO_LOGIN: 'true',
      WONDERWALL_UPSTREAM_INCLUDE_ID_TOKEN: 'true',
      WONDERWALL_SESSION_INACTIVITY: 'true',
      LOG_LEVEL: 'warn',
      WONDERWALL_LOG_LEVEL: 'debug',
    });
    assert.equal(config.mode, 'standalone');
    assert.equal(config.clientId, 'ww-client');
    assert.equal(config.clientSecret, 'ww-secret');
    assert.equal(config.issuer.href, 'https://idp.example.com/pool');
    assert.deepEqual(config.scopes, ['openid', 'email', 'profile']);
    assert.equal(config.appOrigin, 'https://ww.example.com');
    assert.deepEqual(config.ingresses, [{ origin: 'https://ww.example.com', prefix: '/app' }]);
    assert.equal(config.upstream?.href, 'http://127.0.0.1:8080/');
    assert.equal(config.autoLogin.enabled, true);
    assert.deepEqual(config.upstreamIdToken, { include: true, header: 'x-wonderwall-id-token' });
    assert.equal(config.inactivityTimeoutMs, 30 * 60_000);
    assert.equal(config.logLevel, 'warn', 'our setting wins over its alias');
  });

  it("maps commander's parsed options to settings without rebuilding argv", () => {
    assert.deepEqual(settingsFromOptions({ mode: 'standalone', upstreamUrl: 'http://x:1', appOrigin: 'https://a.test', unknown: 'y', autoLogin: true }), {
      LOGIN_MODE: 'standalone',
      UPSTREAM_URL: 'http://x:1',
      APP_ORIGIN: 'https://a.test',
    });
  });
});
