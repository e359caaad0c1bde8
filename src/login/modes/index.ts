// LOGIN_MODE → the HTTP layer the server runs. The relying-party modes run on the core; sso-proxy
// has no core (no OIDC client) and is built by the server from the sessions it reads (sso-proxy.ts).
import type { HttpContext } from '../http/context.ts';
import { extAuthzMode } from './ext-authz.ts';
import { ssoServerMode } from './sso-server.ts';
import { standaloneMode } from './standalone.ts';
import type { ModeHandlers } from './types.ts';

export { ssoProxyMode, type SsoProxyContext } from './sso-proxy.ts';

export function createMode(ctx: HttpContext): ModeHandlers {
  switch (ctx.config.mode) {
    case 'standalone':
      return standaloneMode(ctx);
    case 'ext-authz':
      return extAuthzMode(ctx);
    case 'sso-server':
      return ssoServerMode(ctx);
    case 'sso-proxy':
      throw new Error('LOGIN_MODE=sso-proxy has no LoginCore: start it with ssoProxyMode');
  }
}
