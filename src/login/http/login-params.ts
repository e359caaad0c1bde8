// Wonderwall's login query parameters, turned into authorization request parameters: `level` →
// acr_values (only values the provider advertises), `locale` → ui_locales, `prompt` (login or
// select_account; login also sends max_age=0 so the provider must ask again), `domain_hint`.
// Hostile input: anything unexpected is refused with a 400 naming the parameter, never passed on.
import type { OidcClient } from '../oidc.ts';
import { HttpError } from './errors.ts';

export const PROMPTS = ['login', 'select_account'] as const;
export type Prompt = (typeof PROMPTS)[number];

const ACR = /^[\x21\x23-\x5b\x5d-\x7e]{1,256}$/;
const LOCALE = /^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$/;
const DOMAIN = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

export interface LoginParams {
  params: Record<string, string>;
  prompt?: Prompt;
}

function single(query: URLSearchParams, name: string): string | undefined {
  const values = query.getAll(name);
  if (values.length > 1) throw new HttpError(400, 'invalid_parameter', `${name} may be given once`);
  return values[0] === '' ? undefined : values[0];
}

type Supported = Pick<OidcClient, 'supported'>;

export function loginParams(query: URLSearchParams, oidc: Supported): LoginParams {
  const params: Record<string, string> = {};
  const level = single(query, 'level');
  if (level !== undefined) {
    const supported = oidc.supported('acr_values_supported');
    if (!ACR.test(level) || !supported?.includes(level)) {
      throw new HttpError(400, 'unsupported_level', 'level must be one of the acr_values the identity provider supports');
    }
    params.acr_values = level;
  }
  const locale = single(query, 'locale');
  if (locale !== undefined) {
    const supported = oidc.supported('ui_locales_supported');
    if (!LOCALE.test(locale) || (supported !== undefined && !supported.includes(locale))) {
      throw new HttpError(400, 'unsupported_locale', 'locale must be a language tag the identity provider supports');
    }
    params.ui_locales = locale;
  }
  const prompt = single(query, 'prompt');
  if (prompt !== undefined && !(PROMPTS as readonly string[]).includes(prompt)) {
    throw new HttpError(400, 'invalid_prompt', `prompt must be ${PROMPTS.join(' or ')}`);
  }
  if (prompt !== undefined) params.prompt = prompt;
  // A fresh authentication, not an existing provider session reused (OIDC Core 3.1.2.1).
  if (prompt === 'login') params.max_age = '0';
  const domainHint = single(query, 'domain_hint');
  if (domainHint !== undefined) {
    if (!DOMAIN.test(domainHint)) throw new HttpError(400, 'invalid_domain_hint', 'domain_hint must be a domain name');
    params.domain_hint = domainHint;
  }
  return { params, prompt: prompt as Prompt | undefined };
}
