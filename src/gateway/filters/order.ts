// Istio's HTTP filter order on a waypoint, the order the Envoy translator emits
// (scripts/lib/envoy/translate/waypoint.ts): CUSTOM ext_authz, Wasm AUTHN, jwt_authn, Wasm AUTHZ,
// rbac, Wasm STATS and unspecified, then the route's response-header filters and the router.
// The Node gateway sorts its chain by this list, so a stage cannot be wired in the wrong place.
export const FILTER_ORDER = [
  'envoy.filters.http.ext_authz',
  'wasm.AUTHN',
  'envoy.filters.http.jwt_authn',
  'wasm.AUTHZ',
  'envoy.filters.http.rbac',
  'wasm.STATS',
  'wasm.UNSPECIFIED_PHASE',
  'response-header-modifier',
] as const;

export type FilterSlot = (typeof FILTER_ORDER)[number];

/** The phase the org-context WasmPlugin runs in (istio/base: `phase: AUTHZ`, checked by scripts/lib/render/check.ts). */
export const ORG_CONTEXT_PHASE: FilterSlot = 'wasm.AUTHZ';
