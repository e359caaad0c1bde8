// The local waypoint for one machine (docs/gateway.md).
export { startGateway, type GatewayConfig, type RunningGateway } from './gateway.ts';
export { ensureLocalCertificates, type LocalCertificates } from './tls/local-ca.ts';
export {
  DEFAULT_CHECK_HEADERS,
  DEFAULT_CHECK_PATH_PREFIX,
  DEFAULT_DOWNSTREAM_ON_ALLOW,
  DEFAULT_DOWNSTREAM_ON_DENY,
  DEFAULT_EXT_AUTHZ_TIMEOUT_MS,
  DEFAULT_STATUS_ON_ERROR,
  DEFAULT_UPSTREAM_ON_ALLOW,
  type ExtAuthzConfig,
} from './ext-authz.ts';
export { JWT_METADATA_NAMESPACE, type JwtAuthnConfig } from './jwt-authn.ts';
export type { WasmPlugin } from './plugin-stage.ts';
export { loadRoutesFile, routesFromHttpRoutes, RouteFileError } from './http-routes.ts';
