// Routes from a file of Gateway API HTTPRoutes (what istio/base/generated/httproutes.yaml holds):
// PathPrefix matches, URLRewrite ReplacePrefixMatch, one backend per rule. The parent Gateway picks
// the listener. HTTPRoutes do not say which routes skip ext_authz (that is the AuthorizationPolicy's
// job), so that comes from src/topology for a route it knows and defaults to "checked" otherwise —
// a route added only in YAML is never an open door. Anything this gateway cannot do is refused
// with a message naming the route, rather than routed differently from the cluster.
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { ROUTES, SERVICES, type ListenerName, type Route, type ServiceName } from '../topology/index.ts';

export const DEFAULT_PARENTS: Record<string, ListenerName> = {
  'oneconnect-gateway': 'external',
  'oneconnect-internal-gateway': 'internal',
};

interface HttpRouteDoc {
  kind?: string;
  metadata?: { name?: string };
  spec?: {
    parentRefs?: { name?: string }[];
    rules?: {
      matches?: ({ path?: { type?: string; value?: string } } & Record<string, unknown>)[];
      backendRefs?: { name?: string; port?: number }[];
      filters?: {
        type?: string;
        urlRewrite?: { path?: { type?: string; replacePrefixMatch?: string } };
        responseHeaderModifier?: { set?: { name?: string; value?: string }[]; add?: unknown[]; remove?: unknown[] };
      }[];
    }[];
  };
}

/** The generated routes' one response-header filter: HSTS, which the gateway adds on every HTTPS answer. */
function setsOnlyHsts(modifier: { set?: { name?: string; value?: string }[]; add?: unknown[]; remove?: unknown[] } | undefined): boolean {
  const set = modifier?.set ?? [];
  return !modifier?.add?.length && !modifier?.remove?.length && set.length > 0 && set.every((header) => header.name?.toLowerCase() === 'strict-transport-security');
}

export class RouteFileError extends Error {
  override name = 'RouteFileError';
}

export function routesFromHttpRoutes(text: string, source = 'routes', parents: Record<string, ListenerName> = DEFAULT_PARENTS): Route[] {
  const routes: Route[] = [];
  const documents = parseAllDocuments(text);
  for (const document of documents) {
    if (document.errors.length) throw new RouteFileError(`${source}: ${document.errors[0]!.message}`);
    const doc = document.toJS() as HttpRouteDoc | null;
    if (!doc || doc.kind !== 'HTTPRoute') continue;
    const name = doc.metadata?.name;
    if (!name) throw new RouteFileError(`${source}: an HTTPRoute without metadata.name`);
    const where = `${source}: HTTPRoute ${name}`;
    const listeners = (doc.spec?.parentRefs ?? []).map((parent) => {
      const listener = parent.name ? parents[parent.name] : undefined;
      if (!listener) throw new RouteFileError(`${where}: parentRef ${parent.name ?? '(unnamed)'} is not one of ${Object.keys(parents).join(', ')}`);
      return listener;
    });
    if (listeners.length === 0) throw new RouteFileError(`${where}: no parentRefs`);
    (doc.spec?.rules ?? []).forEach((rule, ruleIndex) => {
      const backends = rule.backendRefs ?? [];
      if (backends.length !== 1) throw new RouteFileError(`${where}: rule ${ruleIndex} needs exactly one backendRef (weights are not supported here)`);
      const service = backends[0]!.name as ServiceName;
      if (!SERVICES.some((known) => known.name === service)) throw new RouteFileError(`${where}: unknown backend ${String(service)}`);
      let rewritePrefix: string | undefined;
      for (const filter of rule.filters ?? []) {
        if (filter.type === 'ResponseHeaderModifier' && setsOnlyHsts(filter.responseHeaderModifier)) continue; // the HTTPS listener sends HSTS itself
        if (filter.type !== 'URLRewrite' || filter.urlRewrite?.path?.type !== 'ReplacePrefixMatch' || typeof filter.urlRewrite.path.replacePrefixMatch !== 'string') {
          throw new RouteFileError(`${where}: only URLRewrite with ReplacePrefixMatch (and the HSTS ResponseHeaderModifier) is supported, got ${filter.type}`);
        }
        rewritePrefix = filter.urlRewrite.path.replacePrefixMatch;
      }
      const matches = rule.matches ?? [{ path: { type: 'PathPrefix', value: '/' } }];
      for (const match of matches) {
        // headers, queryParams, method: ignoring one would route more requests than the cluster does.
        const condition = Object.keys(match).find((key) => key !== 'path');
        if (condition) throw new RouteFileError(`${where}: only path matches are supported, got ${condition}`);
        const type = match.path?.type ?? 'PathPrefix';
        const prefix = match.path?.value ?? '/';
        if (type !== 'PathPrefix') throw new RouteFileError(`${where}: only PathPrefix matches are supported, got ${type}`);
        if (!prefix.startsWith('/')) throw new RouteFileError(`${where}: path ${prefix} must start with /`);
        for (const listener of new Set(listeners)) {
          const known = ROUTES.find((route) => route.listener === listener && route.prefix === prefix && route.service === service);
          routes.push({
            name: matches.length > 1 || (doc.spec?.rules?.length ?? 0) > 1 ? `${name}-${routes.length}` : name,
            listener,
            prefix,
            service,
            ...(rewritePrefix !== undefined ? { rewritePrefix } : {}),
            extAuthz: listener === 'external' ? (known?.extAuthz ?? true) : false,
            ...(listener === 'internal' ? { requireM2mToken: known?.requireM2mToken ?? true } : {}),
          });
        }
      }
    });
  }
  if (routes.length === 0) throw new RouteFileError(`${source}: no HTTPRoute found`);
  return routes;
}

export function loadRoutesFile(path: string, parents?: Record<string, ListenerName>): Route[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new RouteFileError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return routesFromHttpRoutes(text, path, parents);
}
