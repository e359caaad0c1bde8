// Onboarding, locally: the service that knows each user's privilege and organisations. Only
// machines call it (the enrichment Lambda, through the internal gateway), so every request must
// carry a client-credentials token with the onboarding scope.
import express, { type Request, type Response, type NextFunction } from 'express';
import { listenApp } from '../common/listen.ts';
import { loadSeed, type SeedUser } from '../seed/index.ts';
import { bearerToken, createM2mVerifier, M2mTokenError, type M2mVerifier } from './verify.ts';
import { ONBOARDING_SCOPE } from '../../topology/waypoint.ts';

export { verifyM2mToken, createM2mVerifier, bearerToken, M2mTokenError, type M2mToken, type M2mVerifyOptions, type M2mVerifier } from './verify.ts';

export interface OnboardingUserRecord {
  id: string;
  email: string;
  privilege: string;
  organisations: string[];
}

export interface OnboardingOptions {
  /** Port on 127.0.0.1; 0 (default) picks a free one. Topology default: 3004. */
  port?: number;
  host?: string;
  /** The identity provider's issuer; tokens must come from it. */
  issuer: string;
  /** Default `${issuer}/.well-known/jwks.json`. */
  jwksUri?: string;
  /** Required scope, default ONBOARDING_SCOPE. */
  scope?: string;
  /** Seed users (default: the demo seed file). */
  seed?: readonly SeedUser[];
  /** Called once per request (method, path, status); no headers, no tokens. */
  onRequest?: (entry: { method: string; path: string; status: number }) => void;
}

export interface RunningOnboarding {
  url: string;
  port: number;
  /** Change a user's privilege at runtime (demo and tests: the next login sees it). */
  setPrivilege(id: string, privilege: string): void;
  users(): OnboardingUserRecord[];
  close(): Promise<void>;
}

export function createOnboardingApp(options: { verify: M2mVerifier; users: Map<string, OnboardingUserRecord>; onRequest?: OnboardingOptions['onRequest'] }) {
  const app = express();
  app.disable('x-powered-by');
  app.use((req: Request, res: Response, next: NextFunction) => {
    res.on('finish', () => options.onRequest?.({ method: req.method, path: req.path, status: res.statusCode }));
    next();
  });
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  app.use(async (req: Request, res: Response, next: NextFunction) => {
    const token = bearerToken(req.get('authorization'));
    try {
      if (!token) throw new M2mTokenError('invalid_token', 'no bearer token');
      await options.verify(token);
      next();
    } catch (error) {
      const failure = error instanceof M2mTokenError ? error : new M2mTokenError('invalid_token', 'token not verifiable');
      // 401 for every refusal, scope included: to a caller without the onboarding scope this
      // service simply does not exist (the error code in WWW-Authenticate still says why).
      res
        .status(401)
        .set('www-authenticate', `Bearer error="${failure.code}", error_description="${failure.message.replace(/"/g, "'")}"`)
        .json({ error: failure.code, error_description: failure.message });
    }
  });
  app.get('/users/:id', (req: Request, res: Response) => {
    const user = options.users.get(String(req.params.id));
    if (!user) {
      res.status(404).json({ error: 'not_found', error_description: 'no such user' });
      return;
    }
    res.set('cache-control', 'no-store').json(user);
  });
  app.use((_req: Request, res: Response) => {
    res.status(404).json({ error: 'not_found' });
  });
  return app;
}

export async function startOnboarding(options: OnboardingOptions): Promise<RunningOnboarding> {
  const seed = options.seed ?? loadSeed();
  const users = new Map<string, OnboardingUserRecord>(
    seed.map((user) => [user.id, { id: user.id, email: user.email, privilege: user.privilege, organisations: [...user.organisations] }]),
  );
  const verify = createM2mVerifier({
    issuer: options.issuer,
    ...(options.jwksUri ? { jwksUri: options.jwksUri } : {}),
    scope: options.scope ?? ONBOARDING_SCOPE,
  });
  const app = createOnboardingApp({ verify, users, ...(options.onRequest ? { onRequest: options.onRequest } : {}) });
  const { url, port, close } = await listenApp(app, options.port ?? 0, options.host);
  return {
    url,
    port,
    setPrivilege(id, privilege) {
      const user = users.get(id);
      if (!user) throw new Error(`onboarding has no user ${id}`);
      user.privilege = privilege;
    },
    users: () => [...users.values()].map((user) => ({ ...user, organisations: [...user.organisations] })),
    close,
  };
}
