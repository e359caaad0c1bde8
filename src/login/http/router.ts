// Dispatches the /oauth2 endpoints of one ingress: method check (405 with Allow), 404 JSON for an
// unknown path, and every failure through answerFailure.
import type { Endpoint, Exchange, HttpContext } from './context.ts';
import { methodNotAllowed } from './errors.ts';
import { answerFailure } from './failure.ts';
import { sendJson } from './respond.ts';
import { ingressHome } from '../ingress.ts';

/** Endpoints by path below `<ingress prefix>/oauth2` ("" is /oauth2 itself, "/login" …). */
export type EndpointTable = ReadonlyMap<string, Endpoint>;

export function createEndpointRouter(ctx: HttpContext, endpoints: EndpointTable): (exchange: Exchange, subpath: string) => void {
  return (exchange, subpath) => {
    const endpoint = endpoints.get(subpath);
    const method = exchange.req.method ?? 'GET';
    const run = async () => {
      if (!endpoint) return sendJson(exchange.res, 404, { error: 'not_found' });
      if (!endpoint.methods.includes(method)) throw methodNotAllowed(endpoint.methods);
      await endpoint.handle(exchange);
    };
    run().catch((error: unknown) =>
      answerFailure(ctx, exchange.res, error, {
        loginStep: endpoint?.loginStep === true,
        home: ingressHome(exchange.ingress),
        freshLogin: ctx.core.loginUrl(null, exchange.ingress),
      }),
    );
  };
}
