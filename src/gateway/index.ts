// The local waypoint for one machine (docs/gateway.md).
export { GATEWAY_TIMEOUT_DEFAULTS, HSTS_DEFAULT, startGateway, type GatewayConfig, type GatewayTimeouts, type RunningGateway } from './gateway.ts';
export { ensureLocalCertificates, type LocalCertificates } from './tls/local-ca.ts';
export { EXT_AUTHZ_DEFAULTS, type ExtAuthzConfig } from './ext-authz.ts';
export { JWT_METADATA_NAMESPACE, type JwtAuthnConfig } from './jwt-authn.ts';
export type { WasmPlugin } from './plugin-stage.ts';
export { loadRoutesFile, routesFromHttpRoutes, RouteFileError } from './http-routes.ts';
