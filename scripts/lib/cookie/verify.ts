// `oc-edge cookie verify`: runs a cookie value through the built org-context .wasm in the Node host,
// so the answer is the filter's own. The secrets go in as ORG_COOKIE_SECRETS (a JSON list, so a
// secret starting with `[` is not misread) and nothing else is configured: no fallback, so an
// organisation header appears only for a valid cookie.
import { UsageError } from '../errors.ts';
import { ORG_COOKIE_NAME_DEFAULT, ORG_HEADER_DEFAULT } from '../../../src/topology/plugin-settings.ts';

export const DEFAULT_COOKIE_NAME = ORG_COOKIE_NAME_DEFAULT;
const ORG_HEADER = ORG_HEADER_DEFAULT;
const REJECTED = 'org-context: cookie rejected: ';
// What can go into a header value at all (the host refuses control characters).
const HEADER_VALUE = /^[\t\x20-\x7e]*$/;

export interface VerifyOptions {
  secrets: string[];
  value: string;
  cookieName?: string;
  wasm?: string;
}

export type VerifyOutcome = { valid: true; organisation: string } | { valid: false; reason: string };

export async function verifyCookieWithFilter(options: VerifyOptions): Promise<VerifyOutcome> {
  if (options.secrets.length === 0) throw new UsageError('at least one --secret is required');
  if (options.secrets.some((secret) => secret.length === 0)) throw new UsageError('--secret must not be empty');
  if (!HEADER_VALUE.test(options.value)) throw new UsageError('VALUE must be printable ASCII (as a browser sends a cookie)');
  const name = options.cookieName ?? DEFAULT_COOKIE_NAME;
  // Accept a pasted `name=value` pair as well as the bare value.
  const value = options.value.startsWith(`${name}=`) ? options.value.slice(name.length + 1) : options.value;
  const { createHost, PluginConfigError } = await import('../../../src/host/index.ts');
  const { ensureFilterBuilt } = await import('../build/filter.ts');
  const wasm = options.wasm ?? (await ensureFilterBuilt());
  let plugin;
  try {
    plugin = await createHost({
      wasm,
      env: { ORG_COOKIE_SECRETS: JSON.stringify(options.secrets), ORG_COOKIE_NAME: name, ORG_COOKIE_CACHE_SIZE: '0' },
      logLevel: 'warn',
    });
  } catch (error) {
    if (error instanceof PluginConfigError) {
      // The filter's own complaint names the setting; it never contains a secret.
      const complaint = error.logs.find((log) => log.level === 'critical')?.message ?? error.message;
      throw new UsageError(complaint.replace(/^org-context: /, ''));
    }
    throw error;
  }
  try {
    const result = plugin.request({ headers: [['cookie', `${name}=${value}`]] });
    const organisation = result.headers.find(([header]) => header === ORG_HEADER)?.[1];
    if (organisation !== undefined) return { valid: true, organisation };
    const rejection = result.logs.find((log) => log.message.startsWith(REJECTED));
    return { valid: false, reason: rejection ? rejection.message.slice(REJECTED.length) : 'no organisation cookie found' };
  } finally {
    plugin.close();
  }
}
