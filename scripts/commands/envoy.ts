// `oc-edge envoy`: runs real Envoy with the bootstrap generated from src/topology, the org-context
// module and the key file's secrets in its environment. Envoy is the one envoy-locate.ts finds
// (ENVOY_PATH, else `npm run tools:install`'s, else func-e's own), run through func-e, offline.
import type { Command } from 'commander';
import { UsageError } from '../lib/errors.ts';
import { INSTALL_COMMAND } from '../lib/envoy/tools.ts';

interface EnvoyCommandOptions {
  keys: string;
  wasm: string;
  issuer?: string;
  jwksUri?: string;
  clientId?: string;
  out: string;
  configOnly: boolean;
  validate: boolean;
  logLevel: string;
}

export function register(program: Command): void {
  program
    .command('envoy')
    .description(`run real Envoy (${INSTALL_COMMAND}, or ENVOY_PATH) through func-e with the same topology as the local gateway`)
    .option('--keys <file>', 'signing-key file (ORG_COOKIE_SECRETS comes from it)', process.env.OC_KEYS_FILE || '.data/keys.json')
    .option('--wasm <file>', 'the org-context module', 'dist/org-context.wasm')
    .option('--issuer <url>', 'JWT issuer (default: the local identity provider)')
    .option('--jwks-uri <url>', 'JWKS URL (default: <issuer>/.well-known/jwks.json)')
    .option('--client-id <id>', 'audience of the ID token (the app client id)')
    .option('--out <file>', 'where the rendered bootstrap is written', '.data/envoy.yaml')
    .option('--config-only', 'write (and validate) the bootstrap, do not start Envoy', false)
    .option('--no-validate', 'skip validating the bootstrap against Envoy API protos (validated by default)')
    .option('--log-level <level>', 'Envoy log level', 'info')
    .action(async (options: EnvoyCommandOptions) => {
      const { defaultEnvoyOptions, envoyBootstrap, toEnvoyYaml } = await import('../lib/envoy/bootstrap.ts');
      const { mkdirSync, writeFileSync, existsSync } = await import('node:fs');
      const { dirname } = await import('node:path');
      const config = defaultEnvoyOptions();
      config.wasm.filename = options.wasm;
      if (options.issuer) {
        config.jwt.issuer = options.issuer;
        config.jwt.jwksUri = `${options.issuer.replace(/\/$/, '')}/.well-known/jwks.json`;
      }
      if (options.jwksUri) config.jwt.jwksUri = options.jwksUri;
      if (options.clientId) config.jwt.audiences = [options.clientId];
      const bootstrap = envoyBootstrap(config);
      if (options.validate) {
        const { EnvoyProtos, validateEnvoyConfig } = await import('../lib/envoy/validate.ts');
        const errors = validateEnvoyConfig(new EnvoyProtos(), bootstrap);
        if (errors.length > 0) throw new Error(`the bootstrap does not validate:\n${errors.join('\n')}`);
      }
      mkdirSync(dirname(options.out), { recursive: true });
      writeFileSync(options.out, toEnvoyYaml(bootstrap));
      process.stderr.write(`wrote ${options.out}\n`);
      if (options.configOnly) return;

      const { locateEnvoy, EnvoyNotFoundError } = await import('../lib/envoy/locate.ts');
      const { ToolSettingError } = await import('../lib/envoy/tools.ts');
      const { runEnvoy } = await import('../lib/envoy/run.ts');
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
      ensureLocalCertificates(dirname(config.tls.privateKey));
      const { loadSecrets, KeyFileError } = await import('../../src/keys/index.ts');
      let secrets: string[];
      try {
        secrets = loadSecrets(options.keys);
      } catch (error) {
        if (error instanceof KeyFileError) throw new UsageError(error.message);
        throw error;
      }
      process.exitCode = await runEnvoy(envoy, options.out, { ORG_COOKIE_SECRETS: JSON.stringify(secrets) }, options.logLevel);
    });
}
