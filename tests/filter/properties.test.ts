// Property-based proof of the filter (fast-check, thousands of cases per run): random and
// adversarial cookie headers never trap the VM and select exactly what cookie-parser would accept
// (or the fallback); foreign keys and mutations never verify; client copies of the outputs never
// survive. The oracle is the real cookie / cookie-parser / cookie-signature code. Runs on the
// runtime OC_RUNTIME picks (tests/envoy/filter-in-envoy.test.ts: real Envoy, fewer cases).
import { filterWasm } from '../support/filter-wasm.ts';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import cookieParser from 'cookie-parser';
import { sign } from 'cookie-signature';
import fc from 'fast-check';
import type { HeaderList } from '../../src/host/index.ts';
import type { Runtime, RuntimeResult } from '../../scripts/lib/simulate/runtime.ts';
import { RUNTIME, runtimeSkip, runtimes } from '../support/runtime.ts';
import { JWT_PAYLOAD_HEADER } from '../../src/topology/waypoint.ts';

const { path: wasm = '', skip: noWasm } = filterWasm();
const skip = noWasm ?? runtimeSkip;
/** Cases per property: every one is a request over HTTP in Envoy, so fewer there. */
const runs = (n: number) => (RUNTIME === 'envoy' ? Math.ceil(n / 8) : n);

const cookie = createRequire(import.meta.url)('cookie') as { parse(text: string): Record<string, string> };

const NAME = 'previouslySelectedOrganisation';
const ORG = 'x-currently-selected-organisation';
const FEATURES = 'x-supported-features';
const CURRENT = 'property-current-secret-0123456789abcdef';
const PREVIOUS = 'property-previous-secret-0123456789abcde';
const FOREIGN = 'property-foreign-secret-0123456789abcdefg';
const SECRETS = [CURRENT, PREVIOUS];
const FALLBACK = 'org-fallback';
const ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** What the filter must select for these cookie headers, by cookie-parser's own code plus ORG-CONTEXT.md. */
function expectedOrg(headers: string[]): string {
  if (headers.length === 0) return FALLBACK;
  // Node joins repeated cookie headers with "; " before cookie-parser sees them.
  // cookie's own decode: decodeURIComponent, or the raw text when that throws (as the filter does).
  const parsed = cookie.parse(headers.join('; '));
  const raw = Object.hasOwn(parsed, NAME) ? parsed[NAME] : undefined;
  if (raw === undefined || !raw.startsWith('s:')) return FALLBACK;
  const unsigned = cookieParser.signedCookie(raw, SECRETS);
  if (typeof unsigned !== 'string') return FALLBACK;
  let id: unknown = unsigned;
  if (unsigned.startsWith('j:')) {
    const json = cookieParser.JSONCookie(unsigned) as unknown;
    if (typeof json === 'string') id = json;
    else if (json !== null && typeof json === 'object' && !Array.isArray(json) && typeof (json as { id?: unknown }).id === 'string') id = (json as { id: string }).id;
    else return FALLBACK;
  }
  return typeof id === 'string' && ID.test(id) ? id : FALLBACK;
}

// ---- generators --------------------------------------------------------------------------------
const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 });
const goodId = fc.stringMatching(/^[A-Za-z0-9._:-]{1,24}$/);
const anyId = fc.oneof(goodId, goodId, printable, fc.string({ maxLength: 12 }), fc.constant('o'.repeat(129)));
const secret = fc.constantFrom(CURRENT, CURRENT, PREVIOUS, FOREIGN);
const jsonPayload = fc.oneof(
  anyId.map((id) => `j:${JSON.stringify(id)}`),
  anyId.map((id) => `j:${JSON.stringify({ id, name: 'Acme' })}`),
  fc.jsonValue({ maxDepth: 2 }).map((v) => `j:${JSON.stringify(v)}`),
  printable.map((t) => `j:${t}`),
);
const payload = fc.oneof({ weight: 4, arbitrary: anyId }, { weight: 1, arbitrary: jsonPayload });
const signedValue = fc.tuple(payload, secret).map(([p, s]) => `s:${sign(p, s)}`);
/** How the browser may carry a value: Express's encoding, raw, quoted, or with lower-case escapes. */
const wire = (value: string) =>
  fc.constantFrom('encoded', 'raw', 'quoted', 'lower-hex').map((how) => {
    const encoded = encodeURIComponent(value);
    if (how === 'raw') return value.replace(/[;\s"]/g, (c) => encodeURIComponent(c));
    if (how === 'quoted') return `"${encoded}"`;
    if (how === 'lower-hex') return encoded.replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase());
    return encoded;
  });
const mutate = (text: string) =>
  fc.tuple(fc.nat(), fc.constantFrom('replace', 'delete', 'insert', 'flip-case'), fc.constantFrom(...'aZ09+/=.%:;"_-'.split(''))).map(([at, how, ch]) => {
    const i = text.length === 0 ? 0 : at % text.length;
    if (how === 'delete') return text.slice(0, i) + text.slice(i + 1);
    if (how === 'insert') return text.slice(0, i) + ch + text.slice(i);
    if (how === 'flip-case') {
      const c = text[i] ?? '';
      return text.slice(0, i) + (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()) + text.slice(i + 1);
    }
    return text.slice(0, i) + ch + text.slice(i + 1);
  });
const cookieValue = fc.oneof(
  { weight: 4, arbitrary: signedValue.chain(wire) },
  { weight: 3, arbitrary: signedValue.chain(wire).chain(mutate) },
  { weight: 1, arbitrary: printable.map((t) => t.replace(/;/g, '')) },
  { weight: 1, arbitrary: fc.constantFrom('', '"', '""', 's:', 's%3A', '%', '%E0%A4%A', 's%3Aorg.%', '=') },
);
const cookieName = fc.constantFrom(NAME, NAME, NAME, NAME.toLowerCase(), ` ${NAME}`, `${NAME} `, 'theme', '_ga', 'session', 'previouslySelectedOrganisation2');
const pair = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(cookieName, cookieValue).map(([n, v]) => `${n}=${v}`) },
  { weight: 1, arbitrary: printable.map((t) => t.replace(/;/g, '')) },
);
const cookieHeader = fc.tuple(fc.array(pair, { minLength: 1, maxLength: 5 }), fc.constantFrom('; ', ';', ' ; ', ';  ')).map(([pairs, sep]) => pairs.join(sep));
const cookieHeaders = fc.array(cookieHeader, { maxLength: 3 });

/**
 * With the membership check on: the cookie's organisation only if the verified list has it, else
 * the first bootstrapped organisation in the list, else the list's first valid id; with no list at
 * all, the first bootstrapped organisation.
 */
function expectedWithMembership(cookies: string[], claim: string[] | string | undefined, bootstrapped: string[]): string | undefined {
  const fromCookie = expectedOrg(cookies);
  const org = fromCookie === FALLBACK ? undefined : fromCookie;
  if (claim === undefined) return bootstrapped[0];
  const list = Array.isArray(claim) ? claim : claim.split(',').map((item) => item.trim()).filter(Boolean);
  if (org !== undefined && list.includes(org)) return org;
  return bootstrapped.find((id) => list.includes(id)) ?? list.find((id) => ID.test(id));
}

// ---- the plugins under test -------------------------------------------------------------------
const started = runtimes();
const plugins: Runtime[] = [];
let cached: Runtime;
let churning: Runtime;
before(async () => {
  if (skip) return;
  const env = { ORG_COOKIE_SECRETS: JSON.stringify(SECRETS), BOOTSTRAPPED_ORGANISATIONS: FALLBACK, SUPPORTED_FEATURES: 'global' };
  cached = await started.start({ wasm, env, logLevel: 'error', requestLogs: false });
  // a one-entry cache evicts on almost every request: cached answers must equal fresh ones
  churning = await started.start({ wasm, env: { ...env, ORG_COOKIE_CACHE_SIZE: '1' }, logLevel: 'error', requestLogs: false });
  plugins.push(cached, churning);
});
after(() => started.closeAll());

/** One request; a trapped VM would answer with a local 503 (fail closed), in both runtimes. */
async function run(plugin: Runtime, headers: HeaderList): Promise<RuntimeResult> {
  const result = await plugin.request({ headers });
  assert.equal(result.localResponse, null, `the VM trapped or refused: ${JSON.stringify(result.localResponse)}`);
  return result;
}
const outputs = (result: RuntimeResult, name: string) => result.headers.filter(([n]) => n === name).map(([, v]) => v);

describe(`org-context properties (${RUNTIME} runtime)`, { skip }, () => {
  test('random and adversarial cookie headers select exactly what cookie-parser accepts, or the fallback', async () => {
    await fc.assert(
      fc.asyncProperty(cookieHeaders, async (headers) => {
        const expected = expectedOrg(headers);
        const request: HeaderList = headers.map((h) => ['cookie', h]);
        for (const plugin of plugins) {
          assert.deepEqual(outputs(await run(plugin, request), ORG), [expected]);
        }
      }),
      { numRuns: runs(4000) },
    );
  });

  test('a signature made with any other key never verifies', async () => {
    await fc.assert(
      fc.asyncProperty(goodId, fc.string({ minLength: 1, maxLength: 64 }).filter((s) => !SECRETS.includes(s)), async (id, otherSecret) => {
        const value = `${NAME}=${encodeURIComponent(`s:${sign(id, otherSecret)}`)}`;
        assert.deepEqual(outputs(await run(cached, [['cookie', value]]), ORG), [FALLBACK]);
      }),
      { numRuns: runs(1500) },
    );
  });

  test('no mutation of a valid signed value verifies', async () => {
    const valid = fc.tuple(goodId.filter((id) => !id.startsWith('j:')), fc.constantFrom(...SECRETS)).map(([id, s]) => ({ id, value: `s:${sign(id, s)}` }));
    await fc.assert(
      fc.asyncProperty(valid.chain(({ id, value }) => mutate(value).map((mutated) => ({ id, value, mutated }))), async ({ id, value, mutated }) => {
        fc.pre(mutated !== value);
        const header = `${NAME}=${encodeURIComponent(mutated)}`;
        // Sanity: the unmutated value does verify.
        assert.deepEqual(outputs(await run(cached, [['cookie', `${NAME}=${encodeURIComponent(value)}`]]), ORG), [id]);
        assert.deepEqual(outputs(await run(churning, [['cookie', header]]), ORG), [FALLBACK]);
        assert.deepEqual(outputs(await run(cached, [['cookie', header]]), ORG), [FALLBACK]);
      }),
      { numRuns: runs(3000) },
    );
  });

  test('membership check: only a listed organisation is selected, else the contract\'s fallback; forged payload headers change nothing', async () => {
    const bootstrapped = ['org-b1', 'org-b2'];
    const plugin = await started.start({
      wasm,
      env: { ORG_COOKIE_SECRETS: JSON.stringify(SECRETS), BOOTSTRAPPED_ORGANISATIONS: bootstrapped.join(',') },
      pluginConfig: { membershipClaim: 'organisations' },
      logLevel: 'error',
      requestLogs: false,
    });
    const pool = ['org-a', 'org-b', 'org-b1', 'org-b2', 'org-c'];
    const orgCookie = fc.oneof(
      fc.constantFrom(...pool).map((id) => `${NAME}=${encodeURIComponent(`s:${sign(id, CURRENT)}`)}`),
      fc.constantFrom(...pool).map((id) => `${NAME}=${encodeURIComponent(`s:${sign(id, FOREIGN)}`)}`),
    );
    const claim = fc.oneof(
      fc.constant(undefined),
      fc.array(fc.oneof(fc.constantFrom(...pool), goodId), { maxLength: 6 }),
      fc.array(fc.constantFrom(...pool, ' org-a', 'org-c '), { maxLength: 5 }).map((items) => items.join(',')),
    );
    const forged = fc.constantFrom(...pool).map((id) => Buffer.from(JSON.stringify({ organisations: [id] })).toString('base64url'));
    await fc.assert(
      fc.asyncProperty(fc.array(orgCookie, { maxLength: 2 }), claim, fc.option(forged), async (cookies, organisations, forgedPayload) => {
        const headers: HeaderList = cookies.map((c): [string, string] => ['cookie', c]);
        const jwtPayload = organisations === undefined ? undefined : { sub: 'user', organisations };
        const result = await plugin.request({ headers, jwtPayload });
        assert.equal(result.localResponse, null, 'the VM trapped');
        const expected = expectedWithMembership(cookies, organisations, bootstrapped);
        assert.deepEqual(outputs(result, ORG), expected === undefined ? [] : [expected]);
        if (forgedPayload !== null) {
          const withForged = await plugin.request({ headers: [...headers, [JWT_PAYLOAD_HEADER, forgedPayload]], jwtPayload });
          assert.deepEqual(outputs(withForged, ORG), outputs(result, ORG));
        }
      }),
      { numRuns: runs(2000) },
    );
  });

  test('client copies of the output headers never survive, in any case, number or position', async () => {
    const spoofName = fc.constantFrom(ORG, FEATURES, ORG.toUpperCase(), 'X-Supported-Features', 'x-Currently-Selected-Organisation');
    const spoof = fc.tuple(spoofName, printable.map((v) => v.trim() || 'evil'));
    const mixed = fc.tuple(fc.array(spoof, { minLength: 1, maxLength: 6 }), cookieHeaders, fc.array(fc.tuple(fc.constantFrom('x-other', 'accept'), printable), { maxLength: 3 }));
    await fc.assert(
      fc.asyncProperty(mixed, async ([spoofs, cookies, others]) => {
        const headers: HeaderList = [...spoofs, ...cookies.map((c): [string, string] => ['cookie', c]), ...others];
        const result = await run(cached, headers);
        assert.deepEqual(outputs(result, ORG), [expectedOrg(cookies)]);
        assert.deepEqual(outputs(result, FEATURES), ['global']);
        const reversed = await run(cached, [...headers].reverse());
        assert.deepEqual(outputs(reversed, ORG), [expectedOrg([...cookies].reverse())]);
      }),
      { numRuns: runs(2000) },
    );
  });
});
