// Real HTTP peers for the handler on 127.0.0.1 (ephemeral port): an OAuth token endpoint and
// onboarding's `GET /users/{id}`, each with switchable misbehaviour.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { after, before, beforeEach } from 'node:test';
import { listen } from '../support/http.ts';
import { createHandler, type EnrichmentSettings, type HandlerDependencies, type PreTokenGenerationEvent } from '../../src/enrichment/index.ts';

export const CLIENT_ID = 'm2m client';
export const CLIENT_SECRET = 's3cret:with/specials';
/** The users onboarding knows from the start: an organisation admin and a member. */
export const ADMIN_ID = '3f6b2a4e-8c1d-4e57-9a0b-6d2c1e9f7a01';
export const MEMBER_ID = '9c4d7e21-5b3a-4f68-8e1c-2a7b9d0e4f02';
export const USER_TYPES = { ORG_ADMIN: 'admin', ORG_MEMBER: 'member' };

export type OnboardingMode = 'ok' | 'hang' | 'reset-first' | '401-first' | '401-always' | '500' | 'garbage';

export interface Fakes {
  url: string;
  tokenUrl: string;
  onboardingUrl: string;
  tokenRequests: { authorization: string | undefined; body: string }[];
  onboardingRequests: { path: string; authorization: string | undefined }[];
  issued: string[];
  privileges: Map<string, string>;
  /** User id → onboarding's `organisations` for that user (absent: the record lists none). */
  organisations: Map<string, unknown>;
  mode: OnboardingMode;
  tokenStatus: number;
  expiresIn: number;
  /** Back to a well-behaved peer with empty request logs (every test starts from this). */
  reset(): void;
  close(): Promise<void>;
}

export function loadEvent(name: string): PreTokenGenerationEvent {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8')) as PreTokenGenerationEvent;
}

/** Starts the peers; `into` (default a new object) is filled in, so a caller may hold it before. */
export async function startFakes(into: Partial<Fakes> = {}): Promise<Fakes> {
  let resetDone = false;
  let rejectedOnce = false;
  const fakes = Object.assign(into, {
    tokenRequests: [],
    onboardingRequests: [],
    issued: [],
    privileges: new Map([
      [ADMIN_ID, 'ORG_ADMIN'],
      [MEMBER_ID, 'ORG_MEMBER'],
    ]),
  }) as unknown as Fakes;
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const server = await listen(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'POST' && url.pathname === '/oauth2/token') {
      fakes.tokenRequests.push({ authorization: req.headers.authorization, body });
      if (fakes.tokenStatus !== 200) return json(res, fakes.tokenStatus, { error: 'invalid_client', error_description: 'client authentication failed' });
      const token = `token-${fakes.tokenRequests.length}-${Math.random().toString(36).slice(2)}`;
      fakes.issued.push(token);
      return json(res, 200, { access_token: token, token_type: 'Bearer', expires_in: fakes.expiresIn });
    }
    const match = /^\/onboarding\/users\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && match) {
      fakes.onboardingRequests.push({ path: url.pathname, authorization: req.headers.authorization });
      if (fakes.mode === 'hang') return; // never answers
      if (fakes.mode === 'reset-first' && !resetDone) {
        resetDone = true;
        req.socket.destroy();
        return;
      }
      const bearer = req.headers.authorization?.replace(/^Bearer /, '');
      if (fakes.mode === '401-always' || (fakes.mode === '401-first' && !rejectedOnce) || !bearer || !fakes.issued.includes(bearer)) {
        rejectedOnce = true;
        return json(res, 401, { error: 'invalid_token' });
      }
      if (fakes.mode === '500') return json(res, 500, { error: 'boom' });
      if (fakes.mode === 'garbage') {
        res.writeHead(200, { 'content-type': 'text/html' }).end('<html>');
        return;
      }
      const id = decodeURIComponent(match[1]!);
      const privilege = fakes.privileges.get(id);
      if (!privilege) return json(res, 404, { error: 'not_found' });
      const organisations = fakes.organisations.has(id) ? { organisations: fakes.organisations.get(id) } : {};
      return json(res, 200, { id, email: 'someone@example.test', privilege, ...organisations });
    }
    json(res, 404, { error: 'no route' });
  });
  fakes.url = server.url;
  fakes.tokenUrl = `${fakes.url}/oauth2/token`;
  fakes.onboardingUrl = `${fakes.url}/onboarding`;
  fakes.reset = () => {
    fakes.mode = 'ok';
    fakes.tokenStatus = 200;
    fakes.expiresIn = 3600;
    fakes.tokenRequests.length = 0;
    fakes.onboardingRequests.length = 0;
    fakes.organisations = new Map();
    resetDone = false;
    rejectedOnce = false;
  };
  fakes.reset();
  // Also ends the connections a 'hang' request left open.
  fakes.close = server.close;
  return fakes;
}

/** A URL nobody listens on: bind an ephemeral port, then free it. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

export function context(id = 'req-0001') {
  return { awsRequestId: id, functionName: 'test', getRemainingTimeInMillis: () => 4900 };
}

/**
 * The peers for one test file: started before its tests, back to well-behaved before each test,
 * closed after. The object is usable from the first test on.
 */
export function useFakes(): Fakes {
  const fakes = {} as Fakes;
  before(async () => {
    await startFakes(fakes);
  });
  after(async () => {
    await fakes.close();
  });
  beforeEach(() => fakes.reset());
  return fakes;
}

/** A handler wired to the fakes with the M2M client and the user types; `settings` add or override. */
export function fakesHandler(fakes: Fakes, settings: Partial<EnrichmentSettings>, deps: HandlerDependencies = {}) {
  return createHandler(
    {
      onboardingUrl: fakes.onboardingUrl,
      tokenUrl: fakes.tokenUrl,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      userTypes: USER_TYPES,
      ...settings,
    },
    deps,
  );
}
