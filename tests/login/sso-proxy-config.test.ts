// LOGIN_MODE=sso-proxy's settings: it starts from exactly the settings the SSO manifests give it
// (no OIDC client of any kind: reading one is a bug that throws), SSO_SERVER_URL is required and
// must be a plain http(s) URL, the server's cookie name and the shared Redis are required, a
// client secret is refused, and Wonderwall's proxy environment maps onto it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/login/index.ts';
import { configRefusal as refused } from '../support/config-refusal.ts';

const KEY = Buffer.alloc(32, 3).toString('base64');
/** The settings the SSO proxy gets in the manifests and `npm start -- --sso` — and nothing else. */
const PROXY_ENV = {
  LOGIN_MODE: 'sso-proxy',
  SSO_SERVER_URL: 'https://sso.example.com',
  SESSION_COOKIE_NAME: '__Secure-oc-sso',
  ENCRYPTION_KEY: KEY,
  SESSION_STORE: 'redis',
  REDIS_URL: 'redis://redis:6379',
  UPSTREAM_URL: 'http://127.0.0.1:8080',
  APP_ORIGIN: 'https://app-a.example.com',
  LISTEN: '0.0.0.0:4180',
  METRICS_LISTEN: '0.0.0.0:4181',
};

describe('sso-proxy configuration', () => {
  it('loads from the proxy settings alone, with no provider to read', () => {
    const config = loadConfig(PROXY_ENV);
    assert.equal(config.mode, 'sso-proxy');
    assert.equal(config.ssoServerUrl?.href, 'https://sso.example.com/');
    assert.equal(config.cookieName, '__Secure-oc-sso');
    assert.equal(config.cookieDomain, undefined, 'the proxy sets no cookie of its own');
    assert.equal(config.clientSecret, undefined);
    assert.throws(() => config.issuer, /OIDC_ISSUER: LOGIN_MODE=sso-proxy has no OIDC client/);
    assert.throws(() => config.clientId, /OIDC_CLIENT_ID/);
    const copy = { ...config };
    assert.equal(copy.mode, 'sso-proxy', 'a copy of the config does not trip over the missing provider');
  });

  it('ignores an issuer or client id it is given, and refuses a client secret', () => {
    const config = loadConfig({ ...PROXY_ENV, OIDC_ISSUER: 'not even a url', OIDC_CLIENT_ID: 'x' });
    assert.throws(() => config.issuer);
    const error = refused({ ...PROXY_ENV, OIDC_CLIENT_SECRET: 'hunter2-secret' }, 'OIDC_CLIENT_SECRET');
    assert.doesNotMatch(error.message, /hunter2/);
  });

  it('needs SSO_SERVER_URL as a plain http(s) URL, and keeps a path', () => {
    const { SSO_SERVER_URL: _, ...noServer } = PROXY_ENV;
    assert.match(refused(noServer, 'SSO_SERVER_URL').message, /is required with LOGIN_MODE=sso-proxy/);
    for (const bad of ['sso.example.com', 'ftp://sso.example.com', 'https://user:pw@sso.example.com', 'https://sso.example.com/?x=1', 'https://sso.example.com/#x', 'https://sso.example.com/a b', 'javascript:alert(1)']) {
      refused({ ...PROXY_ENV, SSO_SERVER_URL: bad }, 'SSO_SERVER_URL');
    }
    assert.equal(loadConfig({ ...PROXY_ENV, SSO_SERVER_URL: 'http://sso.localhost:4180/sso/' }).ssoServerUrl?.href, 'http://sso.localhost:4180/sso');
    assert.equal(loadConfig({ ...PROXY_ENV }, ['--sso-server-url', 'https://other.example.com']).ssoServerUrl?.origin, 'https://other.example.com', 'the flag wins');
  });

  it("needs the server's cookie name, the shared Redis with its key, and the app side", () => {
    const { SESSION_COOKIE_NAME: _c, ...noCookie } = PROXY_ENV;
    refused(noCookie, 'SESSION_COOKIE_NAME');
    refused({ ...PROXY_ENV, SESSION_COOKIE_NAME: '__Host-oc-session' }, 'SESSION_COOKIE_NAME');
    const { SESSION_STORE: _s, REDIS_URL: _r, ...noRedis } = PROXY_ENV;
    refused(noRedis, 'SESSION_STORE');
    const { ENCRYPTION_KEY: _k, ...noKey } = PROXY_ENV;
    refused(noKey, 'ENCRYPTION_KEY');
    const { UPSTREAM_URL: _u, ...noUpstream } = PROXY_ENV;
    refused(noUpstream, 'UPSTREAM_URL');
    const { APP_ORIGIN: _o, ...noOrigin } = PROXY_ENV;
    const viaIngress = loadConfig({ ...noOrigin, INGRESS: 'https://app-a.example.com/app' });
    assert.deepEqual(viaIngress.ingresses, [{ origin: 'https://app-a.example.com', prefix: '/app' }]);
  });

  it("takes Wonderwall's SSO proxy environment in one step", () => {
    const config = loadConfig({
      WONDERWALL_SSO_ENABLED: 'true',
      WONDERWALL_SSO_MODE: 'proxy',
      WONDERWALL_SSO_SERVER_URL: 'https://sso.example.com',
      WONDERWALL_SSO_SESSION_COOKIE_NAME: 'sso-session',
      WONDERWALL_ENCRYPTION_KEY: KEY,
      WONDERWALL_REDIS_URI: 'redis://redis:6379',
      WONDERWALL_UPSTREAM_HOST: '127.0.0.1:8080',
      WONDERWALL_INGRESS: 'https://app-a.example.com',
      WONDERWALL_AUTO_LOGIN: 'true',
    });
    assert.equal(config.mode, 'sso-proxy');
    assert.equal(config.ssoServerUrl?.href, 'https://sso.example.com/');
    assert.equal(config.cookieName, 'sso-session');
    assert.equal(config.store.kind, 'redis');
    assert.equal(config.upstream?.href, 'http://127.0.0.1:8080/');
    assert.equal(config.autoLogin.enabled, true);
    const server = loadConfig({
      WONDERWALL_SSO_ENABLED: 'true',
      WONDERWALL_SSO_DOMAIN: 'example.com',
      WONDERWALL_SSO_SERVER_DEFAULT_REDIRECT_URL: 'https://www.example.com/',
      WONDERWALL_SSO_SESSION_COOKIE_NAME: 'sso-session',
      WONDERWALL_OPENID_CLIENT_ID: 'c',
      WONDERWALL_OPENID_WELL_KNOWN_URL: 'https://idp.example.com/.well-known/openid-configuration',
      WONDERWALL_INGRESS: 'https://sso.example.com',
    });
    assert.equal(server.mode, 'sso-server');
    assert.equal(server.sso?.domain, 'example.com');
    assert.equal(server.sso?.defaultRedirectUrl, 'https://www.example.com/');
  });
});
