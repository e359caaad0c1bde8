// The filter's configuration: read from the VM environment (WASI environ) and the plugin
// configuration JSON, which wins per setting. Everything is validated here, once; a bad setting is
// reported by name and nothing of it is kept. Secrets are kept only as HMAC states and never
// appear in a message.
import { Bytes, bytesEqual, copyBytes, decimal, joinBytes, utf8 } from '../bytes';
import { HmacKey } from '../crypto/hmac';
import { findMember, isValidJson, keyAt, kindAt, nextEntry, plainInteger, skipString, skipValue, unescapeString, valueAt, valueEnd, valueStart } from '../parse/json';
import { isValidUtf8 } from '../parse/percent';
import { text, Text } from './messages';
import {
  BOOTSTRAPPED_ORGANISATIONS_ENV,
  BOOTSTRAPPED_ORGANISATIONS_KEY,
  FEATURES_HEADER_DEFAULT,
  FEATURES_HEADER_ENV,
  FEATURES_HEADER_KEY,
  JWT_CLAIMS_SOURCE_ENV,
  JWT_CLAIMS_SOURCE_KEY,
  ORG_COOKIE_CACHE_SIZE_DEFAULT,
  ORG_COOKIE_CACHE_SIZE_ENV,
  ORG_COOKIE_CACHE_SIZE_KEY,
  ORG_COOKIE_NAME_DEFAULT,
  ORG_COOKIE_NAME_ENV,
  ORG_COOKIE_NAME_KEY,
  ORG_COOKIE_SECRETS_ENV,
  ORG_HEADER_DEFAULT,
  ORG_HEADER_ENV,
  ORG_HEADER_KEY,
  ORG_MEMBERSHIP_CLAIM_ENV,
  ORG_MEMBERSHIP_CLAIM_KEY,
  ORGANISATION_FEATURES_ENV,
  ORGANISATION_FEATURES_KEY,
  PLUGIN_CONFIG_KEYS,
  SUPPORTED_FEATURES_ENV,
  SUPPORTED_FEATURES_KEY,
} from './generated/settings';
import { isValidCookieName, isValidHeaderName, isValidId } from './syntax';

// Setting names and defaults come from ./generated/settings (src/topology/plugin-settings.ts);
// the limits below are the filter's own.
export const MAX_CACHE_SIZE: i32 = 65536;
export const MAX_SECRETS: i32 = 16;
export const SHORT_SECRET_BYTES: i32 = 32;

export class FilterConfig {
  keys: StaticArray<HmacKey> = new StaticArray<HmacKey>(0);
  cookieName: Bytes = utf8(ORG_COOKIE_NAME_DEFAULT);
  bootstrapped: Bytes[] = [];
  globalFeatures: Bytes[] = [];
  /** The features header value when the organisation has no list of its own. */
  globalFeaturesValue: Bytes = new StaticArray<u8>(0);
  /** Organisations with their own features, and each one's features header value (global list
   *  then its own, deduplicated), at the same index. */
  featureOrganisations: Bytes[] = [];
  featureValues: Bytes[] = [];
  membershipClaim: Bytes | null = null;
  claimsFromHeader: bool = false;
  orgHeader: Bytes = utf8(ORG_HEADER_DEFAULT);
  featuresHeader: Bytes = utf8(FEATURES_HEADER_DEFAULT);
  cacheSize: i32 = ORG_COOKIE_CACHE_SIZE_DEFAULT;
}

export class ConfigResult {
  config: FilterConfig | null = null;
  /** Set when the configuration is rejected: one line naming the setting. */
  error: string = '';
  warnings: string[] = [];
}

/** Inputs: environment variables (name → raw bytes) and the plugin configuration bytes. */
export class ConfigSource {
  envNames: string[] = [];
  envValues: Bytes[] = [];
  pluginConfig: Bytes | null = null;

  setEnv(name: string, value: Bytes): void {
    const i = this.envNames.indexOf(name);
    if (i >= 0) {
      unchecked((this.envValues[i] = value));
    } else {
      this.envNames.push(name);
      this.envValues.push(value);
    }
  }

  getEnv(name: string): Bytes | null {
    const i = this.envNames.indexOf(name);
    return i >= 0 ? unchecked(this.envValues[i]) : null;
  }
}

function equalsText(bytes: Bytes, text: string): bool {
  return bytesEqual(bytes, utf8(text));
}

/** A configuration-supplied name, made safe to quote in a log line. */
function quote(bytes: Bytes): string {
  let out = '"';
  const n = min(bytes.length, 64);
  for (let i = 0; i < n; i++) {
    const c = <i32>unchecked(bytes[i]);
    out += c >= 0x20 && c < 0x7f && c != 0x22 && c != 0x5c ? String.fromCharCode(c) : '?';
  }
  return out + (bytes.length > n ? '…"' : '"');
}

function trimBlanks(bytes: Bytes): Bytes {
  let start = 0;
  let end = bytes.length;
  while (start < end && (unchecked(bytes[start]) == 0x20 || unchecked(bytes[start]) == 0x09)) start++;
  while (end > start && (unchecked(bytes[end - 1]) == 0x20 || unchecked(bytes[end - 1]) == 0x09)) end--;
  if (start == 0 && end == bytes.length) return bytes;
  const out = new StaticArray<u8>(end - start);
  memory.copy(changetype<usize>(out), changetype<usize>(bytes) + <usize>start, <usize>(end - start));
  return out;
}

/** Splits on `,`, trimming blanks; a blank value is the empty list. Null when an item is empty. */
function splitList(bytes: Bytes): Bytes[] | null {
  const out: Bytes[] = [];
  if (trimBlanks(bytes).length == 0) return out;
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i == bytes.length || unchecked(bytes[i]) == 0x2c) {
      const part = new StaticArray<u8>(i - start);
      memory.copy(changetype<usize>(part), changetype<usize>(bytes) + <usize>start, <usize>(i - start));
      const item = trimBlanks(part);
      if (item.length == 0) return null;
      out.push(item);
      start = i + 1;
    }
  }
  return out;
}

// A JSON value inside a validated text: where it starts and where the text ends.
class JsonRef {
  constructor(public at: usize, public end: usize) {}

  get kind(): u32 {
    return kindAt(this.at);
  }
}

/** The unescaped bytes of the JSON string at `p` (configuration time: allocates). */
function jsonString(p: usize, end: usize): Bytes {
  const scratch = new StaticArray<u8>(<i32>(skipString(p, end) - p));
  return copyBytes(changetype<usize>(scratch), unescapeString(p, changetype<usize>(scratch)));
}

/** Reads configuration in one pass; the first invalid setting ends it. */
class Reader {
  result: ConfigResult = new ConfigResult();
  // The validated plugin configuration text and a scratch buffer as long as it (for key lookups).
  plugin: Bytes | null = null;
  pluginObject: usize = 0;
  scratch: Bytes = new StaticArray<u8>(0);

  constructor(public source: ConfigSource) {}

  fail(setting: string, message: string): void {
    if (this.result.error.length == 0) this.result.error = setting + ': ' + message;
  }

  get failed(): bool {
    return this.result.error.length > 0;
  }

  env(name: string): Bytes | null {
    return this.source.getEnv(name);
  }

  pluginEnd(): usize {
    const plugin = this.plugin;
    return plugin === null ? 0 : changetype<usize>(plugin) + <usize>plugin.length;
  }

  pluginValue(key: string): JsonRef | null {
    if (this.pluginObject == 0) return null;
    const name = utf8(key);
    const at = findMember(this.pluginObject, this.pluginEnd(), changetype<usize>(name), name.length, changetype<usize>(this.scratch));
    return at == 0 ? null : new JsonRef(at, this.pluginEnd());
  }

  /** A string setting: pluginConfig key (must be a JSON string) or env var; null when unset. */
  stringSetting(envName: string, key: string): Bytes | null {
    const fromPlugin = this.pluginValue(key);
    if (fromPlugin !== null) {
      if (fromPlugin.kind != 0x22) {
        this.fail('pluginConfig.' + key, text(Text.MustBeString));
        return null;
      }
      return jsonString(fromPlugin.at, fromPlugin.end);
    }
    return this.env(envName);
  }

  settingName(envName: string, key: string): string {
    return this.pluginValue(key) !== null ? 'pluginConfig.' + key : envName;
  }

  /** A list setting: a JSON array of strings (pluginConfig) or a comma-separated string. */
  listSetting(envName: string, key: string, what: string): Bytes[] {
    const setting = this.settingName(envName, key);
    const fromPlugin = this.pluginValue(key);
    let items: Bytes[] | null = null;
    if (fromPlugin !== null) {
      if (fromPlugin.kind == 0x5b) {
        items = this.stringArray(fromPlugin, setting);
        if (items === null) return [];
      } else if (fromPlugin.kind == 0x22) {
        items = splitList(jsonString(fromPlugin.at, fromPlugin.end));
      } else {
        this.fail(setting, text(Text.MustBeList));
        return [];
      }
    } else {
      const raw = this.env(envName);
      if (raw === null) return [];
      items = splitList(raw);
    }
    if (items === null) {
      this.fail(setting, text(Text.EmptyItem));
      return [];
    }
    return this.checkIds(items, setting, what);
  }

  stringArray(array: JsonRef, setting: string): Bytes[] | null {
    const out: Bytes[] = [];
    let cursor = array.at;
    while ((cursor = nextEntry(cursor, array.end)) != 0) {
      if (kindAt(valueAt) != 0x22) {
        this.fail(setting, text(Text.Item) + decimal(out.length) + text(Text.IsNotString));
        return null;
      }
      out.push(jsonString(valueAt, array.end));
    }
    return out;
  }

  /** Validates ids (or feature keys) and drops repeats, keeping the first. */
  checkIds(items: Bytes[], setting: string, what: string): Bytes[] {
    const out: Bytes[] = [];
    for (let i = 0; i < items.length; i++) {
      const item = unchecked(items[i]);
      if (!isValidId(changetype<usize>(item), item.length)) {
        this.fail(setting, what + ' ' + quote(item) + text(Text.IdRule));
        return [];
      }
      if (!contains(out, item)) out.push(item);
    }
    return out;
  }

  read(): ConfigResult {
    const config = new FilterConfig();
    const plugin = this.source.pluginConfig;
    if (plugin !== null && plugin.length > 0) {
      const p = changetype<usize>(plugin);
      if (!isValidJson(p, plugin.length) || kindAt(valueStart(p, plugin.length)) != 0x7b) {
        this.fail('pluginConfig', text(Text.MustBeObject));
        return this.result;
      }
      this.plugin = plugin;
      this.pluginObject = valueStart(p, plugin.length);
      this.scratch = new StaticArray<u8>(plugin.length);
      let cursor = this.pluginObject;
      while ((cursor = nextEntry(cursor, this.pluginEnd())) != 0) {
        const key = jsonString(keyAt, this.pluginEnd());
        let known = false;
        for (let k = 0; k < PLUGIN_CONFIG_KEYS.length; k++) {
          if (equalsText(key, unchecked(PLUGIN_CONFIG_KEYS[k]))) known = true;
        }
        if (!known) {
          const hint = equalsText(key, 'cookieSecrets') ? text(Text.EnvOnly) : '';
          this.fail('pluginConfig', text(Text.UnknownKey) + quote(key) + hint);
          return this.result;
        }
      }
    }

    this.readSecrets(config);
    if (this.failed) return this.result;

    const cookieName = this.stringSetting(ORG_COOKIE_NAME_ENV, ORG_COOKIE_NAME_KEY);
    if (this.failed) return this.result;
    if (cookieName !== null) {
      if (!isValidCookieName(changetype<usize>(cookieName), cookieName.length)) {
        this.fail(this.settingName(ORG_COOKIE_NAME_ENV, ORG_COOKIE_NAME_KEY), text(Text.BadCookieName));
        return this.result;
      }
      // The `cookie` module parses into a plain object, where assigning `__proto__` sets no
      // property: cookie-parser never yields a cookie of that name.
      if (equalsText(cookieName, '__proto__')) {
        this.fail(this.settingName(ORG_COOKIE_NAME_ENV, ORG_COOKIE_NAME_KEY), text(Text.ProtoCookieName));
        return this.result;
      }
      config.cookieName = cookieName;
    }

    config.bootstrapped = this.listSetting(BOOTSTRAPPED_ORGANISATIONS_ENV, BOOTSTRAPPED_ORGANISATIONS_KEY, text(Text.OrganisationId));
    if (this.failed) return this.result;
    config.globalFeatures = this.listSetting(SUPPORTED_FEATURES_ENV, SUPPORTED_FEATURES_KEY, text(Text.FeatureKey));
    if (this.failed) return this.result;
    config.globalFeaturesValue = joinBytes(config.globalFeatures, 0x2c);
    this.readOrganisationFeatures(config);
    if (this.failed) return this.result;

    const claim = this.stringSetting(ORG_MEMBERSHIP_CLAIM_ENV, ORG_MEMBERSHIP_CLAIM_KEY);
    if (this.failed) return this.result;
    if (claim !== null && claim.length > 0) {
      for (let i = 0; i < claim.length; i++) {
        const c = unchecked(claim[i]);
        if (c < 0x20 || c == 0x7f) {
          this.fail(this.settingName(ORG_MEMBERSHIP_CLAIM_ENV, ORG_MEMBERSHIP_CLAIM_KEY), text(Text.ControlCharacters));
          return this.result;
        }
      }
      config.membershipClaim = claim;
    }

    const source = this.stringSetting(JWT_CLAIMS_SOURCE_ENV, JWT_CLAIMS_SOURCE_KEY);
    if (this.failed) return this.result;
    if (source !== null) {
      if (equalsText(source, 'header')) config.claimsFromHeader = true;
      else if (!equalsText(source, 'metadata')) {
        this.fail(this.settingName(JWT_CLAIMS_SOURCE_ENV, JWT_CLAIMS_SOURCE_KEY), text(Text.MetadataOrHeader));
        return this.result;
      }
    }

    const orgHeader = this.headerSetting(ORG_HEADER_ENV, ORG_HEADER_KEY);
    if (orgHeader !== null) config.orgHeader = orgHeader;
    const featuresHeader = this.headerSetting(FEATURES_HEADER_ENV, FEATURES_HEADER_KEY);
    if (featuresHeader !== null) config.featuresHeader = featuresHeader;
    if (this.failed) return this.result;
    if (bytesEqual(config.orgHeader, config.featuresHeader)) {
      this.fail(this.settingName(FEATURES_HEADER_ENV, FEATURES_HEADER_KEY), text(Text.SameHeaders));
      return this.result;
    }

    this.readCacheSize(config);
    if (this.failed) return this.result;
    this.result.config = config;
    return this.result;
  }

  readSecrets(config: FilterConfig): void {
    const raw = this.env(ORG_COOKIE_SECRETS_ENV);
    if (raw === null || trimBlanks(raw).length == 0) {
      this.fail(ORG_COOKIE_SECRETS_ENV, text(Text.SecretRequired));
      return;
    }
    // Node reads the environment as UTF-8, replacing what is not: such bytes would not be the
    // backend's secret.
    if (!isValidUtf8(changetype<usize>(raw), raw.length)) {
      this.fail(ORG_COOKIE_SECRETS_ENV, text(Text.NotUtf8));
      return;
    }
    let secrets: Bytes[] = [];
    if (unchecked(raw[0]) == 0x5b) {
      const p = changetype<usize>(raw);
      if (!isValidJson(p, raw.length)) {
        this.fail(ORG_COOKIE_SECRETS_ENV, text(Text.NotSecretList));
        return;
      }
      const list = this.stringArray(new JsonRef(p, p + <usize>raw.length), ORG_COOKIE_SECRETS_ENV);
      if (list === null) return;
      secrets = list;
    } else {
      secrets.push(raw);
    }
    if (secrets.length == 0) {
      this.fail(ORG_COOKIE_SECRETS_ENV, text(Text.NoSecret));
      return;
    }
    if (secrets.length > MAX_SECRETS) {
      this.fail(ORG_COOKIE_SECRETS_ENV, text(Text.TooManySecrets));
      return;
    }
    const keys = new StaticArray<HmacKey>(secrets.length);
    for (let i = 0; i < secrets.length; i++) {
      const secret = unchecked(secrets[i]);
      if (secret.length == 0) {
        this.fail(ORG_COOKIE_SECRETS_ENV, text(Text.SecretNumber) + decimal(i + 1) + text(Text.IsEmpty));
        return;
      }
      if (secret.length < SHORT_SECRET_BYTES) {
        this.result.warnings.push(ORG_COOKIE_SECRETS_ENV + ': ' + text(Text.SecretNumber) + decimal(i + 1) + text(Text.IsShort));
      }
      replaceLoneSurrogates(secret);
      unchecked((keys[i] = HmacKey.fromBytes(secret)));
      // Only the HMAC states are kept: wipe this copy of the secret.
      memory.fill(changetype<usize>(secret), 0, <usize>secret.length);
    }
    // And the setting's own copy (a JSON list holds them all).
    memory.fill(changetype<usize>(raw), 0, <usize>raw.length);
    config.keys = keys;
  }

  readOrganisationFeatures(config: FilterConfig): void {
    let value = this.pluginValue(ORGANISATION_FEATURES_KEY);
    const setting = this.settingName(ORGANISATION_FEATURES_ENV, ORGANISATION_FEATURES_KEY);
    if (value === null) {
      const raw = this.env(ORGANISATION_FEATURES_ENV);
      if (raw === null || trimBlanks(raw).length == 0) return;
      const p = changetype<usize>(raw);
      if (!isValidJson(p, raw.length)) {
        this.fail(setting, text(Text.NotJson));
        return;
      }
      value = new JsonRef(valueStart(p, raw.length), p + <usize>raw.length);
    }
    if (value.kind != 0x7b) {
      this.fail(setting, text(Text.MustBeObjectOfArrays));
      return;
    }
    let cursor = value.at;
    while ((cursor = nextEntry(cursor, value.end)) != 0) {
      const id = jsonString(keyAt, value.end);
      const list = new JsonRef(valueAt, value.end);
      if (!isValidId(changetype<usize>(id), id.length)) {
        this.fail(setting, text(Text.OrganisationId) + ' ' + quote(id) + text(Text.IdRule));
        return;
      }
      if (list.kind != 0x5b) {
        this.fail(setting, quote(id) + text(Text.MustMapToArray));
        return;
      }
      const own = this.stringArray(list, setting);
      if (own === null) return;
      const checked = this.checkIds(own, setting, text(Text.FeatureKey));
      if (this.failed) return;
      const combined = config.globalFeatures.slice(0);
      for (let k = 0; k < checked.length; k++) {
        const feature = unchecked(checked[k]);
        if (!contains(combined, feature)) combined.push(feature);
      }
      // A repeated organisation id: the last entry wins, as in JSON.parse.
      const index = indexOfBytes(config.featureOrganisations, id);
      if (index >= 0) {
        unchecked((config.featureValues[index] = joinBytes(combined, 0x2c)));
      } else {
        config.featureOrganisations.push(id);
        config.featureValues.push(joinBytes(combined, 0x2c));
      }
    }
  }

  headerSetting(envName: string, key: string): Bytes | null {
    if (this.failed) return null;
    const value = this.stringSetting(envName, key);
    if (value === null || this.failed) return null;
    if (!isValidHeaderName(changetype<usize>(value), value.length)) {
      this.fail(this.settingName(envName, key), text(Text.BadHeaderName));
      return null;
    }
    return value;
  }

  readCacheSize(config: FilterConfig): void {
    const fromPlugin = this.pluginValue(ORG_COOKIE_CACHE_SIZE_KEY);
    const setting = this.settingName(ORG_COOKIE_CACHE_SIZE_ENV, ORG_COOKIE_CACHE_SIZE_KEY);
    let size: f64 = <f64>ORG_COOKIE_CACHE_SIZE_DEFAULT;
    if (fromPlugin !== null) {
      size = fromPlugin.kind == 0x30 ? plainInteger(fromPlugin.at, skipValue(fromPlugin.at, fromPlugin.end)) : NaN;
    } else {
      const raw = this.env(ORG_COOKIE_CACHE_SIZE_ENV);
      if (raw === null) return;
      size = raw.length > 0 && unchecked(raw[0]) != 0x2d ? plainInteger(changetype<usize>(raw), changetype<usize>(raw) + <usize>raw.length) : NaN;
    }
    if (!(size >= 0 && size <= <f64>MAX_CACHE_SIZE)) {
      this.fail(setting, text(Text.WholeNumber));
      return;
    }
    config.cacheSize = <i32>size;
  }
}

/**
 * Node keys an HMAC with a string's UTF-8 form, in which a lone surrogate (a JSON `\ud800`
 * escape) is U+FFFD. The bytes here are UTF-8 apart from such surrogates, which unescaping wrote
 * as ED A0..BF xx: each becomes EF BF BD, the same length, in place.
 */
function replaceLoneSurrogates(bytes: Bytes): void {
  for (let i = 0; i + 2 < bytes.length; i++) {
    if (unchecked(bytes[i]) == 0xed && unchecked(bytes[i + 1]) >= 0xa0) {
      unchecked((bytes[i] = 0xef));
      unchecked((bytes[i + 1] = 0xbf));
      unchecked((bytes[i + 2] = 0xbd));
    }
  }
}

function indexOfBytes(list: Bytes[], item: Bytes): i32 {
  for (let i = 0; i < list.length; i++) {
    if (bytesEqual(unchecked(list[i]), item)) return i;
  }
  return -1;
}

function contains(list: Bytes[], item: Bytes): bool {
  return indexOfBytes(list, item) >= 0;
}

/** Validates a configuration; `result.config` is null (and `result.error` set) when it is bad. */
export function readConfig(source: ConfigSource): ConfigResult {
  return new Reader(source).read();
}
