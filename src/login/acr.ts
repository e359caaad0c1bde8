// Authentication levels (`acr`), as Wonderwall judges them: a required level is met by the very
// same value, or — for ID-porten's ordered levels — by a higher one (`idporten-loa-substantial` is
// met by `-high`, `-high` only by itself). ID-porten's legacy names (`Level3`, `Level4`) stand for
// the new ones. Any other value is a name, not a rank: only an exact match meets it, so an unknown
// provider's levels are never guessed to be ordered.

/** ID-porten's levels, lowest first: each is met by itself and every later one. */
const ORDERED_LEVELS: readonly string[] = ['idporten-loa-substantial', 'idporten-loa-high'];

/** ID-porten's old level names and the level each now is. */
const LEGACY_LEVELS: Readonly<Record<string, string>> = { Level3: 'idporten-loa-substantial', Level4: 'idporten-loa-high' };

/** A level under its current name (a legacy ID-porten name translated, anything else as is). */
export function canonicalLevel(level: string): string {
  return Object.hasOwn(LEGACY_LEVELS, level) ? LEGACY_LEVELS[level]! : level;
}

/** Whether a session authenticated at `actual` meets `required`. No `actual` meets nothing. */
export function meetsLevel(required: string, actual: string | undefined): boolean {
  if (actual === undefined) return false;
  const wanted = canonicalLevel(required);
  const rank = ORDERED_LEVELS.indexOf(wanted);
  if (rank < 0) return actual === wanted || actual === required;
  return ORDERED_LEVELS.indexOf(actual) >= rank;
}

/**
 * The `acr` claim of an ID token the OIDC client has already validated (signature, iss, aud,
 * nonce): read, not verified, here. Undefined when absent or not a short printable string.
 */
export function idTokenAcr(idToken: string): string | undefined {
  try {
    const payload = JSON.parse(Buffer.from(idToken.split('.')[1] ?? '', 'base64url').toString()) as { acr?: unknown };
    return typeof payload.acr === 'string' && /^[\x21-\x7e]{1,256}$/.test(payload.acr) ? payload.acr : undefined;
  } catch {
    return undefined;
  }
}
