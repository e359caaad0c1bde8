// The local waypoint for one machine (docs/gateway.md).
export { GATEWAY_TIMEOUT_DEFAULTS, startGateway, type GatewayConfig, type GatewayTimeouts, type RunningGateway } from './gateway.ts';
export { ensureLocalCertificates, type LocalCertificates } from './tls/local-ca.ts';
export { EXT_AUTHZ_DEFAULTS, type ExtAuthzConfig } from './filters/ext-authz.ts';
export { type JwtAuthnConfig } from './filters/jwt-authn.ts';
export { JWT_METADATA_NAMESPACE } from '../topology/waypoint.ts';
export type { WasmPlugin } from './filters/wasm.ts';
export { loadRoutesFile, routesFromHttpRoutes, RouteFileError } from './http-routes.ts';
