// Hostile `redirect` values shared by every mode's redirect tests: hosts an attacker owns, the
// shapes that smuggle them past naive checks, and fixed strings (schemes, controls, length).
import type { RedirectValidator } from '../../src/login/redirect.ts';
export const HOSTS = ['evil.test', 'evil.test:443', 'app.test.evil.test', 'app.test@evil.test', '127.0.0.1', '[::1]', '%65vil.test', 'evil。test'];
export const SHAPES = [
  (h: string) => `//${h}`,
  (h: string) => `///${h}`,
  (h: string) => `/\\${h}`,
  (h: string) => `\\\\${h}`,
  (h: string) => `https://${h}`,
  (h: string) => `http:${h}`,
  (h: string) => `/%2F${h}`,
  (h: string) => `/%5C${h}`,
  (h: string) => `/..//${h}`,
  (h: string) => `/./\\/${h}`,
  (h: string) => ` //${h}`,
  (h: string) => `/\t/${h}`,
  (h: string) => `/\n/${h}`,
  (h: string) => `/%09/${h}`,
  (h: string) => `/%252F%252F${h}`,
];
export const FIXED = [
  'javascript:alert(1)',
  'JaVaScRiPt:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  'vbscript:msgbox(1)',
  '/\u2028//evil.test',
  '/\u00a0//evil.test',
  '/\ufeff//evil.test',
  '\u0000//evil.test',
  '/%00//evil.test',
  '/%E2%80%A8//evil.test',
  'https:/\\evil.test',
  '//evil.test/%2e%2e',
  '/%2e%2e/%2e%2e//evil.test',
  '%2F%2Fevil.test',
  'x'.repeat(5000),
  '',
  '?',
  '#//evil.test',
];
export const ATTACKS = [...HOSTS.flatMap((host) => SHAPES.map((shape) => shape(host))), ...FIXED];

/** Every attack as sent raw, URL-encoded once and twice: the forms a redirect parameter can arrive in. */
const encodedForms = (attack: string): string[] => [attack, encodeURIComponent(attack), encodeURIComponent(encodeURIComponent(attack))];

/**
 * Runs each attack, in each encoded form, through a validator's `check`; hands every accepted URL to
 * `assertAccepted` (which asserts it stayed where the mode allows) and returns how many were refused.
 */
export function checkEveryForm(validator: Pick<RedirectValidator, 'check'>, attacks: readonly string[], assertAccepted: (url: string, candidate: string) => void): number {
  let refused = 0;
  for (const attack of attacks) {
    for (const candidate of encodedForms(attack)) {
      const verdict = validator.check(candidate);
      if (verdict.ok) assertAccepted(verdict.url, candidate);
      else refused++;
    }
  }
  return refused;
}
