// LOGIN_MODE → the HTTP layer the server runs on the core.
import type { HttpContext } from '../http/context.ts';
import { extAuthzMode } from './ext-authz.ts';
import { ssoServerMode } from './sso-server.ts';
import { standaloneMode } from './standalone.ts';
import type { ModeHandlers } from './types.ts';

export function createMode(ctx: HttpContext): ModeHandlers {
  switch (ctx.config.mode) {
    case 'standalone':
      return standaloneMode(ctx);
    case 'ext-authz':
      return extAuthzMode(ctx);
    case 'sso-server':
      return ssoServerMode(ctx);
    default:
      // loadConfig refuses the modes this build does not serve; this is the same refusal.
      throw new Error(`LOGIN_MODE=${ctx.config.mode} is not available in this build`);
  }
}
