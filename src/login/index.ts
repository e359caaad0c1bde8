// The login service's public API (for the local harness, the bench and the CLI).
export { loadConfig, parseDuration, ConfigError, SETTINGS, type LoginConfig, type Setting } from './config.ts';
export { startLoginService, type LoginService, type StartOptions } from './server.ts';
export { checkRedirect, safeRedirect } from './redirect.ts';
export { LoginRejectedError, ProviderUnavailableError, RefreshRejectedError } from './errors.ts';
export { StoreUnavailableError, type SessionStore } from './store/types.ts';
export { MemoryStore } from './store/memory.ts';
export { RedisStore } from './store/redis.ts';
