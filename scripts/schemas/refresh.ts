// Refreshes the vendored schemas in schemas/ (see schemas/README.md) from copies on disk; the build
// machines reach package registries only, so nothing is downloaded here.
//
//   tsx scripts/schemas/refresh.ts --from <dir>
//     <dir>/istio, <dir>/gateway-api, <dir>/cert-manager: upstream CRD YAML, copied unchanged
//     (each folder present replaces ours whole).
//   tsx scripts/schemas/refresh.ts --kubernetes-from <dir>
//     <dir> is a `vX.Y.Z-local-strict` folder of the kubernetes-validate package (PyPI), holding
//     `_definitions.json`; the definitions the core kinds below need are written to
//     schemas/kubernetes/definitions.json.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseAllDocuments } from 'yaml';

const SCHEMAS_DIR = new URL('../../schemas/', import.meta.url).pathname;
export const CRD_FOLDERS = ['istio', 'gateway-api', 'cert-manager'] as const;

/** Core kinds a manifest of ours may hold (or plausibly will): their definitions are vendored. */
export const CORE_KINDS = [
  'io.k8s.api.core.v1.Namespace',
  'io.k8s.api.core.v1.Service',
  'io.k8s.api.core.v1.ConfigMap',
  'io.k8s.api.core.v1.Secret',
  'io.k8s.api.core.v1.ServiceAccount',
  'io.k8s.api.core.v1.Pod',
  'io.k8s.api.apps.v1.Deployment',
  'io.k8s.api.apps.v1.StatefulSet',
  'io.k8s.api.apps.v1.DaemonSet',
  'io.k8s.api.batch.v1.Job',
  'io.k8s.api.batch.v1.CronJob',
  'io.k8s.api.rbac.v1.Role',
  'io.k8s.api.rbac.v1.RoleBinding',
  'io.k8s.api.rbac.v1.ClusterRole',
  'io.k8s.api.rbac.v1.ClusterRoleBinding',
  'io.k8s.api.policy.v1.PodDisruptionBudget',
  'io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler',
  'io.k8s.api.networking.v1.NetworkPolicy',
] as const;

type Definitions = Record<string, Record<string, unknown>>;

export function refreshCrds(from: string, to = SCHEMAS_DIR): string[] {
  const copied: string[] = [];
  for (const folder of CRD_FOLDERS) {
    const source = join(from, folder);
    if (!existsSync(source)) continue;
    const files = readdirSync(source).filter((f) => /\.ya?ml$/.test(f)).sort();
    for (const file of files) {
      const crds = parseAllDocuments(readFileSync(join(source, file), 'utf8')).filter((d) => (d.toJS() as { kind?: string } | null)?.kind === 'CustomResourceDefinition');
      if (crds.length === 0) throw new Error(`${join(source, file)} holds no CustomResourceDefinition`);
    }
    if (files.length === 0) throw new Error(`${source} holds no YAML`);
    rmSync(join(to, folder), { recursive: true, force: true });
    mkdirSync(join(to, folder), { recursive: true });
    for (const file of files) {
      copyFileSync(join(source, file), join(to, folder, file));
      copied.push(`${folder}/${file}`);
    }
  }
  if (copied.length === 0) throw new Error(`${from} has none of ${CRD_FOLDERS.join(', ')}`);
  return copied;
}

/** The named definitions and every definition they reach through "#/$defs/…" references. */
export function closure(definitions: Definitions, roots: readonly string[]): Definitions {
  const picked: Definitions = {};
  const pending = [...roots];
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (picked[name]) continue;
    const definition = definitions[name];
    if (!definition) throw new Error(`no definition ${name}`);
    picked[name] = definition;
    for (const [, ref] of JSON.stringify(definition).matchAll(/"\$ref":"#\/\$defs\/([^"]+)"/g)) pending.push(ref!);
  }
  return Object.fromEntries(Object.entries(picked).sort(([a], [b]) => a.localeCompare(b)));
}

export function refreshKubernetes(from: string, to = SCHEMAS_DIR): string {
  const version = /^(v\d+\.\d+\.\d+)-local-strict$/.exec(basename(resolve(from)))?.[1];
  if (!version) throw new Error(`${from}: expected a kubernetes-validate folder named vX.Y.Z-local-strict (the strict variant: unknown fields are errors)`);
  const all = (JSON.parse(readFileSync(join(from, '_definitions.json'), 'utf8')) as { $defs: Definitions }).$defs;
  for (const kind of CORE_KINDS) {
    if (all[kind]?.additionalProperties !== false) throw new Error(`${kind} in ${from} is not strict (additionalProperties: false)`);
  }
  const out = join(to, 'kubernetes', 'definitions.json');
  mkdirSync(join(to, 'kubernetes'), { recursive: true });
  const document = { $comment: `Kubernetes ${version} API definitions for ${CORE_KINDS.length} core kinds (kubernetes-validate ${version}-local-strict); refresh with scripts/schemas/refresh.ts`, kubernetesVersion: version, kinds: CORE_KINDS, $defs: closure(all, CORE_KINDS) };
  writeFileSync(out, `${JSON.stringify(document, null, 1)}\n`);
  return out;
}

function main(): void {
  const { values } = parseArgs({ options: { from: { type: 'string' }, 'kubernetes-from': { type: 'string' } } });
  if (!values.from && !values['kubernetes-from']) {
    process.stderr.write('usage: tsx scripts/schemas/refresh.ts [--from <dir with istio/ gateway-api/ cert-manager/>] [--kubernetes-from <vX.Y.Z-local-strict dir>]\n');
    process.exit(2);
  }
  if (values.from) for (const file of refreshCrds(values.from)) process.stderr.write(`copied schemas/${file}\n`);
  if (values['kubernetes-from']) process.stderr.write(`wrote ${refreshKubernetes(values['kubernetes-from'])}\n`);
  process.stderr.write('update the versions in schemas/README.md, then run: npm test -- tests/render --no-build\n');
}

if (import.meta.url === `file://${process.argv[1]}`) main();
