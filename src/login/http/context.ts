// What every endpoint module is built from, and the shape of an endpoint: the methods it takes
// and the handler. A mode (src/login/modes) is a table of these behind a router.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { LoginConfig } from '../config.ts';
import type { LoginCore } from '../core.ts';
import type { Ingress } from '../ingress.ts';
import type { LoginMetrics } from '../metrics.ts';

export interface HttpContext {
  config: LoginConfig;
  core: LoginCore;
  metrics: LoginMetrics;
  logger: Logger;
}

/** One request as an endpoint sees it: the parsed target and the ingress it came in on. */
export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  ingress: Ingress;
}

export interface Endpoint {
  methods: readonly string[];
  /** A step of a login (login, callback): failures count in the logins metric and offer a new login. */
  loginStep?: boolean;
  handle(exchange: Exchange): Promise<void>;
}
