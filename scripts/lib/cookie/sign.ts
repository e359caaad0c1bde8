// Signing the organisation cookie exactly as the organisation backend does: Express res.cookie(name,
// value, { signed: true }) — an object becomes `j:` + JSON, the value is signed with the real
// cookie-signature (`s:` prefix), and the cookie module's default encoding (encodeURIComponent)
// gives the bytes the browser stores and sends back.
import { sign } from 'cookie-signature';
import { UsageError } from '../errors.ts';

/** The value Express serialises for res.cookie(name, value, { signed: true }). */
export function expressSignedValue(value: unknown, secret: string): string {
  if (secret.length === 0) throw new UsageError('--secret must not be empty');
  // Express: `typeof val === 'object' ? 'j:' + JSON.stringify(val) : String(val)`.
  const serialised = typeof value === 'object' ? `j:${JSON.stringify(value)}` : String(value);
  return encodeURIComponent(`s:${sign(serialised, secret)}`);
}

/** `--value` as given, or parsed as JSON with `--json` (an object gives a cookie-parser JSON cookie). */
export function cookieInput(value: string, json: boolean): unknown {
  if (!json) return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    throw new UsageError('--value is not valid JSON (with --json)');
  }
}
