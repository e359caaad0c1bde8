// HTTPRoute → Envoy routes, as istiod translates Gateway API routes for a gateway: PathPrefix →
// `path_separated_prefix` (whole segments: `/user` matches `/user/x`, not `/users`), longest prefix
// first (Envoy takes the first match), URLRewrite ReplacePrefixMatch → `prefix_rewrite` (a `/`
// replacement becomes a regex rewrite so `/user/me` → `/me`, not `//me`; Envoy then sets
// x-envoy-original-path), RequestRedirect → `redirect`, ResponseHeaderModifier → response headers,
// one backendRef → its cluster. Anything else is refused with the route's name: never routed
// differently from the cluster.
import { spec, type K8sObject } from './overlay.ts';
import { TranslationError, type EnvoyObject } from './envoy-types.ts';

export interface ParentListener {
  gateway: string;
  gatewayNamespace: string;
  sectionName: string;
}

/** Whether an HTTPRoute attaches to the listener (parentRefs: group/kind Gateway, namespace defaults to the route's). */
export function attachesTo(route: K8sObject, parent: ParentListener): boolean {
  const refs = (spec(route).parentRefs ?? []) as { kind?: string; name: string; namespace?: string; sectionName?: string }[];
  return refs.some(
    (ref) =>
      (ref.kind ?? 'Gateway') === 'Gateway' &&
      ref.name === parent.gateway &&
      (ref.namespace ?? route.metadata.namespace) === parent.gatewayNamespace &&
      (ref.sectionName === undefined || ref.sectionName === parent.sectionName),
  );
}

/** Resolves a backendRef (Service name, namespace, port) to an Envoy cluster name. */
export type BackendResolver = (service: { name: string; namespace: string; port: number }, route: string) => string;

interface Context {
  /** Local port of the listener a redirect to https lands on (Gateway API: the scheme's well-known port). */
  httpsPort: number;
  resolve: BackendResolver;
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function responseHeaders(modifier: Record<string, any>, where: string): EnvoyObject {
  if (modifier.add?.length || modifier.remove?.length) throw new TranslationError(`${where}: ResponseHeaderModifier add/remove is not translated (only set)`);
  return {
    response_headers_to_add: (modifier.set ?? []).map((header: { name: string; value: string }) => ({
      header: { key: header.name.toLowerCase(), value: header.value },
      append_action: 'OVERWRITE_IF_EXISTS_OR_ADD',
    })),
  };
}

function translateRule(route: K8sObject, rule: Record<string, any>, index: number, context: Context): EnvoyObject[] {
  const where = `HTTPRoute ${route.metadata.namespace}/${route.metadata.name} rule ${index}`;
  const matches = (rule.matches ?? [{ path: { type: 'PathPrefix', value: '/' } }]) as Record<string, any>[];
  let action: EnvoyObject | undefined;
  let rewrite: string | undefined;
  let extra: EnvoyObject = {};
  for (const filter of (rule.filters ?? []) as Record<string, any>[]) {
    if (filter.type === 'RequestRedirect') {
      const redirect = filter.requestRedirect ?? {};
      const unsupported = Object.keys(redirect).filter((key) => !['scheme', 'statusCode'].includes(key));
      if (unsupported.length) throw new TranslationError(`${where}: RequestRedirect ${unsupported.join(', ')} is not translated`);
      const codes: Record<number, string> = { 301: 'MOVED_PERMANENTLY', 302: 'FOUND' };
      const code = codes[redirect.statusCode ?? 302];
      if (!code) throw new TranslationError(`${where}: RequestRedirect statusCode ${redirect.statusCode} is not translated`);
      action = {
        redirect: {
          ...(redirect.scheme ? { scheme_redirect: redirect.scheme } : {}),
          // No port given: the scheme's well-known port, here the local HTTPS listener.
          ...(redirect.scheme === 'https' ? { port_redirect: context.httpsPort } : {}),
          response_code: code,
        },
      };
    } else if (filter.type === 'URLRewrite') {
      const path = filter.urlRewrite?.path;
      if (filter.urlRewrite?.hostname !== undefined || path?.type !== 'ReplacePrefixMatch' || typeof path.replacePrefixMatch !== 'string') {
        throw new TranslationError(`${where}: only URLRewrite path ReplacePrefixMatch is translated`);
      }
      rewrite = path.replacePrefixMatch;
    } else if (filter.type === 'ResponseHeaderModifier') {
      extra = { ...extra, ...responseHeaders(filter.responseHeaderModifier ?? {}, where) };
    } else {
      throw new TranslationError(`${where}: filter ${filter.type} is not translated`);
    }
  }
  if (!action) {
    const backends = (rule.backendRefs ?? []) as { name: string; namespace?: string; port: number; kind?: string; weight?: number }[];
    if (backends.length !== 1) throw new TranslationError(`${where}: exactly one backendRef is translated, got ${backends.length}`);
    const backend = backends[0]!;
    if ((backend.kind ?? 'Service') !== 'Service') throw new TranslationError(`${where}: backendRef kind ${backend.kind} is not translated`);
    action = { route: { cluster: context.resolve({ name: backend.name, namespace: backend.namespace ?? route.metadata.namespace!, port: backend.port }, where) } };
  }

  return matches.map((match) => {
    const other = Object.keys(match).filter((key) => key !== 'path');
    if (other.length) throw new TranslationError(`${where}: only path matches are translated, got ${other.join(', ')}`);
    const type = match.path?.type ?? 'PathPrefix';
    const value = (match.path?.value ?? '/') as string;
    if (type !== 'PathPrefix') throw new TranslationError(`${where}: only PathPrefix matches are translated, got ${type}`);
    const prefix = value.length > 1 ? value.replace(/\/+$/, '') : value;
    const envoyMatch = prefix === '/' ? { prefix: '/' } : { path_separated_prefix: prefix };
    let routeAction = action!;
    if (rewrite !== undefined && 'route' in routeAction && prefix !== '/') {
      const rewriteSpec =
        rewrite === '/'
          ? { regex_rewrite: { pattern: { regex: `^${escapeRegex(prefix)}/*` }, substitution: '/' } }
          : { prefix_rewrite: rewrite.replace(/\/+$/, '') || '/' };
      routeAction = { route: { ...(routeAction.route as EnvoyObject), ...rewriteSpec } };
    }
    return { name: route.metadata.name, match: envoyMatch, ...routeAction, ...extra, _prefixLength: prefix === '/' ? 0 : prefix.length };
  });
}

/** The Envoy routes of every HTTPRoute attached to `parent`, longest prefix first (Gateway API precedence). */
export function translateHttpRoutes(routes: K8sObject[], parent: ParentListener, context: Context): EnvoyObject[] {
  const translated = routes.filter((route) => attachesTo(route, parent)).flatMap((route) => ((spec(route).rules ?? []) as Record<string, any>[]).map((rule, index) => translateRule(route, rule, index, context)).flat());
  // A stable sort keeps the manifests' order among equal prefixes, as Gateway API's tie-breaks do.
  translated.sort((a, b) => (b._prefixLength as number) - (a._prefixLength as number));
  return translated.map(({ _prefixLength: _drop, ...route }) => route);
}
