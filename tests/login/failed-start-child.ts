// A process that starts the login service on a real Redis in a way that fails after the store was
// made (FAIL=mode: the mode cannot be built; FAIL=listen: the port is taken), prints the rejection
// as one JSON line and then does nothing: it exits only if the failed start closed what it opened.
import { loadConfig, startLoginService } from '../../src/login/index.ts';

const fail = process.env.FAIL;
const config = loadConfig({
  LOGIN_MODE: 'standalone',
  APP_ORIGIN: 'http://app.test',
  // A provider nobody answers for: discovery keeps retrying on a timer until the client is closed.
  OIDC_ISSUER: process.env.DEAD_ISSUER,
  OIDC_CLIENT_ID: 'app-client',
  UPSTREAM_URL: 'http://127.0.0.1:9',
  SESSION_STORE: 'redis',
  REDIS_URL: process.env.REDIS_URL,
  ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
  LISTEN: fail === 'listen' ? `127.0.0.1:${process.env.TAKEN_PORT}` : '127.0.0.1:0',
  METRICS_LISTEN: '127.0.0.1:0',
  LOG_LEVEL: 'silent',
});
// FAIL=mode: a config that passed validation but that the mode refuses (what any later bug would be).
const broken = fail === 'mode' ? { ...config, upstream: undefined } : config;

startLoginService(broken).then(
  (service) => {
    console.log(JSON.stringify({ started: true }));
    void service.close();
  },
  (error: unknown) => console.log(JSON.stringify({ rejected: error instanceof Error ? error.message : String(error) })),
);
