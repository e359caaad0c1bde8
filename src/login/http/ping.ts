// GET <ingress>/oauth2/ping: "pong" — the sidecar answers (Wonderwall's liveness endpoint). It
// says nothing about the provider or the store; /healthz on the metrics port does.
import type { Endpoint } from './context.ts';
import { send } from './respond.ts';

export function pingEndpoint(): Endpoint {
  return {
    methods: ['GET', 'HEAD'],
    async handle({ res }) {
      send(res, 200, { 'content-type': 'text/plain; charset=utf-8' }, 'pong');
    },
  };
}
