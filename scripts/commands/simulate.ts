// `oc-edge simulate`: one request through the org-context plugin (or any Proxy-Wasm module) in the
// Node host or a real Envoy (--runtime), printing the request headers it produces, any local
// response, its logs and metrics.
import type { Command } from 'commander';
import { FILTER_WASM } from '../lib/artifacts.ts';
import { JWT_PAYLOAD_HEADER } from '../../src/topology/waypoint.ts';

const collect = (value: string, previous: string[]) => [...previous, value];

export function register(program: Command): void {
  program
    .command('simulate')
    .description('run one request through the plugin and print the resulting headers, local response, logs and metrics')
    .option('--wasm <file>', 'the Proxy-Wasm module', FILTER_WASM.path)
    .option('--env <KEY=VALUE>', 'a vmConfig.env variable (repeatable)', collect, [])
    .option('--env-file <file>', 'KEY=VALUE lines read as vmConfig.env (before --env)')
    .option('--plugin-config <json>', 'the plugin configuration (JSON)')
    .option('--method <method>', 'request method', 'GET')
    .option('--path <path>', 'request path', '/')
    .option('--authority <host>', 'request :authority (default: the host header, else localhost)')
    .option('--header <header>', "a request header 'name: value' (repeatable)", collect, [])
    .option('--jwt-claims <json>', `verified JWT claims, as jwt_authn passes them (metadata and ${JWT_PAYLOAD_HEADER})`)
    .option('--log-level <level>', 'Envoy wasm log level: trace, debug, info, warn, error, critical', 'info')
    .option('--json', 'print { headers, localResponse, logs, metrics } as JSON')
    .option('--runtime <runtime>', 'node (the Node host) or envoy (a real Envoy process, as Istio configures the WasmPlugin)', 'node')
    .action(async (options) => {
      const { simulate } = await import('../lib/simulate/simulate.ts');
      process.stdout.write(await simulate(options));
    });
}
