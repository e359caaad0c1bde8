// feature-organisation-backend: lists the caller's organisations (from onboarding) and, on
// `POST /select`, checks membership and sets the signed `previouslySelectedOrganisation` cookie with
// Express + cookie-parser — the real library signs, the org-context filter verifies those bytes.
import cookieParser from 'cookie-parser';
import express, { type Request, type Response } from 'express';
import { ClientCredentialsTokenSource } from '../../enrichment/token-source.ts';
import { OnboardingClient } from '../../enrichment/onboarding-client.ts';
import { callerOf, isSameOrigin, selectedOrganisation, supportedFeatures } from '../common/identity.ts';
import { listenApp, type RunningService } from '../common/listen.ts';
import { ORG_COOKIE_NAME_DEFAULT } from '../../topology/plugin-settings.ts';

export const ORG_COOKIE = ORG_COOKIE_NAME_DEFAULT;
const ORGANISATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** A year: the choice should outlive sessions ("still does after a new login"). */
const COOKIE_MAX_AGE_MS = 365 * 24 * 60 * 60 * 1000;

/** Where a user's organisations come from (onboarding, in the seed system). */
export interface OrganisationDirectory {
  organisationsOf(userId: string): Promise<string[]>;
}

export interface OrganisationBackendConfig {
  port: number;
  /** Current signing secret first (the key file's list); the same list the filter verifies with. */
  secrets: string[];
  directory: OrganisationDirectory;
  cookieName?: string;
  /** Display names for organisation ids, for the dashboard. */
  names?: Record<string, string>;
  /** Told about onboarding failures (the stack's logger); never given to the client. */
  onError?: (error: unknown) => void;
}

/** Onboarding through the internal gateway with a client-credentials token, as the Lambda calls it. */
export function onboardingDirectory(options: { baseUrl: string; tokenUrl: string; clientId: string; clientSecret: string; scope?: string; timeoutMs?: number }): OrganisationDirectory {
  const tokens = new ClientCredentialsTokenSource({
    tokenUrl: options.tokenUrl,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    ...(options.scope ? { scope: options.scope } : {}),
  });
  const client = new OnboardingClient({ baseUrl: options.baseUrl, tokens });
  const timeoutMs = options.timeoutMs ?? 3000;
  return {
    async organisationsOf(userId) {
      const { user } = await client.getUser(userId, AbortSignal.timeout(timeoutMs), timeoutMs);
      return user.organisations ?? [];
    },
  };
}

export function createOrganisationApp(config: OrganisationBackendConfig): express.Express {
  if (config.secrets.length === 0) throw new Error('feature-organisation-backend: at least one cookie secret is required');
  const cookieName = config.cookieName ?? ORG_COOKIE;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  }); // the gateway on 127.0.0.1 terminates TLS: req.secure follows x-forwarded-proto
  app.use(cookieParser(config.secrets));
  app.use(express.json({ limit: '4kb' }));
  app.use(express.urlencoded({ extended: false, limit: '4kb' }));

  const describe = (id: string) => ({ id, name: config.names?.[id] ?? id });

  async function organisationsFor(req: Request, res: Response): Promise<{ sub: string; organisations: string[] } | undefined> {
    const caller = callerOf(req);
    if (!caller) {
      res.status(401).json({ error: 'unauthenticated' });
      return undefined;
    }
    try {
      return { sub: caller.sub, organisations: await config.directory.organisationsOf(caller.sub) };
    } catch (error) {
      res.status(503).json({ error: 'onboarding_unavailable', message: 'the organisation list is unavailable; try again' });
      config.onError?.(error);
      return undefined;
    }
  }

  app.get('/', async (req, res) => {
    const found = await organisationsFor(req, res);
    if (!found) return;
    res.set('cache-control', 'no-store').json({
      organisations: found.organisations.map(describe),
      selected: selectedOrganisation(req) ?? null,
      features: supportedFeatures(req),
    });
  });

  app.post('/select', async (req, res) => {
    const wantsHtml = Boolean(req.is('application/x-www-form-urlencoded'));
    if (!isSameOrigin(req)) {
      res.status(403).json({ error: 'cross_site', message: 'organisation changes must come from the app' });
      return;
    }
    const id = (req.body as { id?: unknown; organisation?: unknown } | undefined)?.id ?? (req.body as { organisation?: unknown } | undefined)?.organisation;
    if (typeof id !== 'string' || !ORGANISATION_ID.test(id)) {
      res.status(400).json({ error: 'invalid_organisation', message: 'organisation id must be 1–128 characters of A-Z a-z 0-9 . _ : -' });
      return;
    }
    const found = await organisationsFor(req, res);
    if (!found) return;
    if (!found.organisations.includes(id)) {
      res.status(403).json({ error: 'not_a_member', message: 'you are not a member of that organisation' });
      return;
    }
    res.cookie(cookieName, id, { signed: true, httpOnly: true, secure: true, sameSite: 'lax', path: '/', maxAge: COOKIE_MAX_AGE_MS });
    if (wantsHtml) {
      res.redirect(303, '/');
      return;
    }
    res.json({ selected: describe(id) });
  });

  return app;
}

export async function startOrganisationBackend(config: OrganisationBackendConfig): Promise<RunningService> {
  return listenApp(createOrganisationApp(config), config.port);
}
