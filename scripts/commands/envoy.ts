// `oc-edge envoy`: runs the two local Envoys — the gateway, then the waypoint — with the bootstraps
// translated from the rendered local overlay (scripts/lib/envoy/bootstrap.ts), the org-context module
// and the key file's secrets in their environment. Envoy is the one locate.ts finds (ENVOY_PATH, else
// `npm run tools:install`'s, else func-e's own), run through func-e, offline.
import type { Command } from 'commander';
import { UsageError } from '../lib/errors.ts';
import { INSTALL_COMMAND } from '../lib/envoy/tools.ts';
import { FILTER_WASM, LOCAL_TLS_DIR } from '../lib/artifacts.ts';
import { cognitoIssuer, cognitoJwksUri } from '../../src/topology/waypoint.ts';

interface EnvoyCommandOptions {
  keys: string;
  wasm: string;
  issuer?: string;
  jwksUri?: string;
  out: string;
  configOnly: boolean;
  validate: boolean;
  logLevel: string;
}

export function register(program: Command): void {
  program
    .command('envoy')
    .description(`run real Envoy (${INSTALL_COMMAND}, or ENVOY_PATH) through func-e: the gateway and waypoint translated from the local overlay`)
    .option('--keys <file>', 'signing-key file (ORG_COOKIE_SECRETS comes from it)', process.env.OC_KEYS_FILE || '.data/keys.json')
    .option('--wasm <file>', 'the org-context module', FILTER_WASM.path)
    .option('--issuer <url>', 'JWT issuer (default: the local identity provider)')
    .option('--jwks-uri <url>', 'JWKS URL (default: <issuer>/.well-known/jwks.json)')
    .option('--out <dir>', 'where the two bootstraps are written (envoy-gateway.yaml, envoy-waypoint.yaml)', '.data')
    .option('--config-only', 'write (and validate) the bootstraps, do not start Envoy', false)
    .option('--no-validate', 'skip validating the bootstraps against Envoy API protos (validated by default)')
    .option('--log-level <level>', 'Envoy log level', 'info')
    .action(async (options: EnvoyCommandOptions) => {
      const { ENVOY_FILES, harnessBindings, localEnvoyConfigs, startLocalEnvoys, toEnvoyYaml } = await import('../lib/envoy/bootstrap.ts');
      const { defaultLocalBindings } = await import('../lib/envoy/translate/index.ts');
      const { mkdirSync, writeFileSync, existsSync } = await import('node:fs');
      const { join } = await import('node:path');
      const { GATEWAY_PORTS } = await import('../../src/topology/index.ts');
      const defaults = defaultLocalBindings();
      const issuer = options.issuer;
      const jwksUri = options.jwksUri ?? (issuer ? cognitoJwksUri(issuer.replace(/\/$/, '')) : undefined);
      const upstreams = Object.fromEntries(Object.entries(defaults.servicePorts).map(([name, port]) => [name, `http://127.0.0.1:${port}`]));
      const bindings = harnessBindings({
        upstreams,
        gatewayPorts: GATEWAY_PORTS,
        identityProvider: { issuer: issuer ?? '', jwksUri: jwksUri ?? cognitoJwksUri(cognitoIssuer(defaults.identityProvider.origin)) },
        tlsDir: LOCAL_TLS_DIR,
        wasmFile: options.wasm,
        adminPorts: defaults.adminPorts,
      });
      // No --issuer: the overlay's own issuer and JWKS path (the harness's defaults).
      if (!issuer) bindings.identityProvider = defaults.identityProvider;
      let configs: ReturnType<typeof localEnvoyConfigs>;
      try {
        configs = localEnvoyConfigs(bindings);
      } catch (error) {
        throw new UsageError(error instanceof Error ? error.message : String(error));
      }
      if (options.validate) {
        const { EnvoyProtos, validateEnvoyConfig } = await import('../lib/envoy/validate.ts');
        const protos = new EnvoyProtos();
        const errors = Object.entries(configs).flatMap(([role, config]) => validateEnvoyConfig(protos, config).map((e) => `${role}: ${e}`));
        if (errors.length > 0) throw new Error(`the bootstraps do not validate:\n${errors.join('\n')}`);
      }
      mkdirSync(options.out, { recursive: true });
      for (const role of Object.keys(ENVOY_FILES) as (keyof typeof configs)[]) {
        const file = join(options.out, `envoy-${role}.yaml`);
        writeFileSync(file, toEnvoyYaml(role, configs[role]));
        process.stderr.write(`wrote ${file}\n`);
      }
      if (options.configOnly) return;

      const { locateEnvoy, EnvoyNotFoundError } = await import('../lib/envoy/locate.ts');
      const { ToolSettingError } = await import('../lib/envoy/tools.ts');
      let envoy: ReturnType<typeof locateEnvoy>;
      try {
        envoy = locateEnvoy();
      } catch (error) {
        if (error instanceof EnvoyNotFoundError || error instanceof ToolSettingError) throw new UsageError(error.message);
        throw error;
      }
      process.stderr.write(`envoy${envoy.version ? ` ${envoy.version}` : ''} ${envoy.envoy} (${envoy.source})${envoy.funcE ? `, through ${envoy.funcE}` : ', run directly: no func-e installed'}\n`);
      if (!existsSync(options.wasm)) throw new UsageError(`no module at ${options.wasm} (run: npm run build)`);
      const { ensureLocalCertificates } = await import('../../src/gateway/tls/local-ca.ts');
      ensureLocalCertificates(LOCAL_TLS_DIR);
      const { loadSecrets, KeyFileError } = await import('../../src/keys/index.ts');
      let secrets: string[];
      try {
        secrets = loadSecrets(options.keys);
      } catch (error) {
        if (error instanceof KeyFileError) throw new UsageError(error.message);
        throw error;
      }
      const running = await startLocalEnvoys(envoy, { configs, dir: options.out, env: { ORG_COOKIE_SECRETS: JSON.stringify(secrets) }, logLevel: options.logLevel });
      process.stderr.write(`gateway admin ${running.gateway.adminUrl}, waypoint admin ${running.waypoint.adminUrl}; Ctrl-C stops both\n`);
      const stop = () => void running.stop();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const exit = await running.exited;
      await running.stop();
      process.stderr.write(`${running.gateway.log().slice(-2000)}\n${running.waypoint.log().slice(-2000)}\n`);
      process.exitCode = exit.code ?? 1;
    });
}
