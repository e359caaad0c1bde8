// The local waypoint for one machine (docs/gateway.md).
export { startGateway, type GatewayConfig, type RunningGateway } from './gateway.ts';
export { ensureLocalCertificates, type LocalCertificates } from './tls/local-ca.ts';
export { EXT_AUTHZ_DEFAULTS, type ExtAuthzConfig } from './ext-authz.ts';
export { JWT_METADATA_NAMESPACE, type JwtAuthnConfig } from './jwt-authn.ts';
export type { WasmPlugin } from './plugin-stage.ts';
export { loadRoutesFile, routesFromHttpRoutes, RouteFileError } from './http-routes.ts';
