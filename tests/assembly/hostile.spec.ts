// Hostile input never traps: thousands of random and mutated inputs through every parser the
// filter runs on client or configuration data. A trap fails the spec (as-pect reports the abort).
import { ConfigSource, readConfig } from '../../assembly/filter/config';
import { HmacKey } from '../../assembly/crypto/hmac';
import { base64Decode } from '../../assembly/crypto/base64';
import { verifyCookie, CookieVerdict } from '../../assembly/filter/signed-cookie';
import { clearMemberships, membershipsFromProperty, membershipsFromJson } from '../../assembly/filter/membership';
import { findCookie } from '../../assembly/parse/cookie';
import { isValidJson, valueStart, findMember } from '../../assembly/parse/json';
import { percentDecode } from '../../assembly/parse/percent';
import { text } from './helpers';

// A small deterministic generator (xorshift32): reproducible failures.
let seed: u32 = 0x9e3779b9;
function next(): u32 {
  seed ^= seed << 13;
  seed ^= seed >> 17;
  seed ^= seed << 5;
  return seed;
}

const ALPHABET = text('{}[]":,.\\/ %=;sjS:0123456789abcdefxu-_+tfnrle\t\n\x00\x7f\xc3\xa9');

function randomBytes(maxLength: i32): StaticArray<u8> {
  const out = new StaticArray<u8>(<i32>(next() % <u32>(maxLength + 1)));
  for (let i = 0; i < out.length; i++) {
    out[i] = next() % 4 == 0 ? <u8>next() : ALPHABET[<i32>(next() % <u32>ALPHABET.length)];
  }
  return out;
}

/** Copies `base` with a few random replacements, insertions and truncations. */
function mutate(base: StaticArray<u8>): StaticArray<u8> {
  let length = base.length;
  const cut = next() % 4 == 0 ? <i32>(next() % <u32>(length + 1)) : length;
  const out = new StaticArray<u8>(cut);
  memory.copy(changetype<usize>(out), changetype<usize>(base), <usize>cut);
  const edits = <i32>(next() % 4);
  for (let k = 0; k < edits && cut > 0; k++) {
    out[<i32>(next() % <u32>cut)] = ALPHABET[<i32>(next() % <u32>ALPHABET.length)];
  }
  return out;
}

const CONFIGS: string[] = [
  '{"cookieName":"c","bootstrappedOrganisations":["a","b"],"supportedFeatures":"x,y","organisationFeatures":{"a":["z"]},"membershipClaim":"orgs","jwtClaimsSource":"header","orgHeader":"x-o","featuresHeader":"x-f","cookieCacheSize":12}',
  '{"organisationFeatures":{"o-1":["f1","f2"],"o-2":[]},"supportedFeatures":["g"]}',
  '{"bootstrappedOrganisations":"a, b ,c","cookieCacheSize":0}',
];

describe('hostile input', () => {
  it('configuration: random and mutated pluginConfig and env values are accepted or rejected, never trap', () => {
    let rejected = 0;
    for (let i = 0; i < 3000; i++) {
      const source = new ConfigSource();
      source.setEnv('ORG_COOKIE_SECRETS', i % 3 == 0 ? randomBytes(40) : text('["secret-one-0123456789abcdef0123456789","two"]'));
      if (i % 5 == 0) source.setEnv('ORGANISATION_FEATURES', mutate(text('{"a":["b","c"],"d":[]}')));
      if (i % 7 == 0) source.setEnv('ORG_COOKIE_CACHE_SIZE', randomBytes(6));
      source.pluginConfig = i % 2 == 0 ? mutate(text(CONFIGS[i % CONFIGS.length])) : randomBytes(120);
      const result = readConfig(source);
      if (result.config === null) {
        rejected++;
        expect(result.error.length).toBeGreaterThan(0);
      }
    }
    expect(rejected).toBeGreaterThan(0);
  });

  it('cookies: random and mutated values verify or are rejected, never trap', () => {
    const keys = new StaticArray<HmacKey>(2);
    keys[0] = HmacKey.fromBytes(text('keyboard cat'));
    keys[1] = HmacKey.fromBytes(text('another secret'));
    const valid = [
      text('s%3Aorg-123.O%2F%2B0W%2B3Q4dE2hQI6PFSCOlDkO42jmpMygXnb5GTWbFk'),
      text('s%3Aj%3A%7B%22id%22%3A%22org-42%22%2C%22name%22%3A%22Acme%20Ltd%22%7D.yQfzHViWrQa9wZrWV9Dg8XPQcugKJZWHsaARN9MagrE'),
    ];
    let accepted = 0;
    for (let i = 0; i < 5000; i++) {
      const value = i % 2 == 0 ? mutate(valid[i % 4 == 0 ? 0 : 1]) : randomBytes(200);
      const scratch = new StaticArray<u8>(value.length * 2 + 1);
      if (verifyCookie(changetype<usize>(value), value.length, keys, changetype<usize>(scratch)) == CookieVerdict.Valid) accepted++;
    }
    // Untouched copies (no edits, no cut) are the only ones that may verify.
    expect(accepted).toBeLessThan(5000);
  });

  it('parsers: cookie headers, percent escapes, JSON, base64 and property layouts never trap', () => {
    const name = text('previouslySelectedOrganisation');
    let seen = 0;
    for (let i = 0; i < 5000; i++) {
      const input = i % 3 == 0 ? mutate(text('a=1; previouslySelectedOrganisation="s%3Ax.y"; b')) : randomBytes(160);
      const p = changetype<usize>(input);
      const scratch = new StaticArray<u8>(input.length * 2 + 8);
      const s = changetype<usize>(scratch);
      if (findCookie(p, input.length, changetype<usize>(name), name.length)) seen++;
      percentDecode(p, input.length, s);
      base64Decode(p, input.length, s, (i & 1) == 0);
      if (isValidJson(p, input.length)) {
        const at = valueStart(p, input.length);
        findMember(at, p + <usize>input.length, changetype<usize>(name), name.length, s);
        clearMemberships();
        membershipsFromJson(at, p + <usize>input.length, s);
      }
      clearMemberships();
      membershipsFromProperty(p, input.length);
    }
    expect(seen).toBeGreaterThan(0);
  });
});
