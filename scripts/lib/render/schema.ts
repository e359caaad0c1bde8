// Validates Kubernetes objects the way the API server would on create, against schemas vendored in
// schemas/ (see its README): custom resources against their CRD's OpenAPI v3 schema for the served
// version, then that version's CEL rules (x-kubernetes-validations, manifests-cel.ts); core kinds
// against Kubernetes' own API definitions (manifests-core-schema.ts). Unlike the server, an unknown
// field is an error (the server would prune it silently, which hides typos); formats and enums are
// checked. Nothing is read from outside the repository.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction, type ErrorObject } from 'ajv';
import { parseAllDocuments } from 'yaml';
import { CelRules } from './cel.ts';
import { CoreKindSchemas } from './core-schema.ts';
import { addOpenApiFormats } from './formats.ts';
import { OBJECT_META } from './object-meta.ts';

export const DEFAULT_SCHEMAS_DIR = fileURLToPath(new URL('../../../schemas', import.meta.url));

type Schema = Record<string, unknown>;
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

/** Turns an apiextensions schema into a strict JSON Schema for Ajv (CEL rules are evaluated apart). */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map((item) => toJsonSchema(item));
  if (typeof node !== 'object' || node === null) return node;
  const source = node as Schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(source)) {
    if (key.startsWith('x-kubernetes-')) continue;
    // `properties` and `patternProperties` hold field names, not keywords: convert only their values.
    if (key === 'properties') {
      out.properties = Object.fromEntries(Object.entries(value as Schema).map(([name, sub]) => [name, toJsonSchema(sub)]));
      continue;
    }
    out[key] = toJsonSchema(value);
  }
  if (source['x-kubernetes-int-or-string'] === true) {
    delete out.type;
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  // Structural schemas prune unknown fields unless told to keep them; we report them instead.
  const isObject = source.type === 'object' || source.properties !== undefined;
  if (isObject && source.properties !== undefined && source.additionalProperties === undefined && source['x-kubernetes-preserve-unknown-fields'] !== true) {
    out.additionalProperties = false;
  }
  return out;
}

function withObjectMeta(schema: Schema): Schema {
  const properties = { ...(schema.properties as Schema | undefined) };
  properties.apiVersion = { type: 'string' };
  properties.kind = { type: 'string' };
  properties.metadata = OBJECT_META;
  return { ...schema, properties, required: [...new Set([...((schema.required as string[] | undefined) ?? []), 'apiVersion', 'kind', 'metadata'])] };
}

export interface SchemaIssue {
  object: string;
  message: string;
}

interface CrdVersion {
  validate: ValidateFunction;
  rules: CelRules;
}

export class ManifestValidator {
  private readonly ajv: Ajv;
  private readonly crds = new Map<string, CrdVersion>();
  private readonly core: CoreKindSchemas;
  /**
   * Transition rules (they read oldSelf) per apiVersion/kind: the API server checks them only when
   * an object is updated, so they do not apply to a manifest, which is a create.
   */
  readonly transitionRules = new Map<string, number>();
  /** CEL rules evaluated so far, over every validate() call. */
  celRulesEvaluated = 0;

  constructor(schemasDir: string = DEFAULT_SCHEMAS_DIR) {
    this.ajv = new Ajv({ allErrors: true, strict: false });
    addOpenApiFormats(this.ajv);
    for (const file of listYaml(schemasDir)) {
      for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
        const crd = doc.toJS() as Schema | null;
        if (!crd || crd.kind !== 'CustomResourceDefinition') continue;
        const spec = crd.spec as { group: string; names: { kind: string }; versions: { name: string; served: boolean; schema?: { openAPIV3Schema: Schema } }[] };
        for (const version of spec.versions) {
          if (!version.served || !version.schema) continue;
          const key = `${spec.group}/${version.name}/${spec.names.kind}`;
          const openApi = version.schema.openAPIV3Schema;
          const rules = new CelRules(openApi);
          this.crds.set(key, { validate: this.ajv.compile(withObjectMeta(toJsonSchema(openApi) as Schema)), rules });
          this.transitionRules.set(key, rules.transitionRules);
        }
      }
    }
    this.core = new CoreKindSchemas(schemasDir);
  }

  /** The Kubernetes release the core kinds are checked against. */
  get kubernetesVersion(): string {
    return this.core.kubernetesVersion;
  }

  /** Whether a schema exists for this object's apiVersion and kind (a CRD's or a core kind's). */
  has(object: Pick<K8sObject, 'apiVersion' | 'kind'>): boolean {
    return this.crds.has(`${object.apiVersion}/${object.kind}`) || this.core.has(object.apiVersion, object.kind);
  }

  /** Whether the object is a custom resource whose CRD is vendored. */
  hasCrd(object: Pick<K8sObject, 'apiVersion' | 'kind'>): boolean {
    return this.crds.has(`${object.apiVersion}/${object.kind}`);
  }

  validate(object: K8sObject): SchemaIssue[] {
    const id = describe(object);
    const crd = this.crds.get(`${object.apiVersion}/${object.kind}`);
    const validate = crd?.validate ?? this.core.validator(object.apiVersion, object.kind);
    if (!validate) return [{ object: id, message: `no schema for ${object.apiVersion} ${object.kind}` }];
    if (!validate(object)) return dedupe((validate.errors ?? []).map((error) => ({ object: id, message: formatError(error) })));
    // CEL rules are written for values of the declared shape, as on the API server: they run once
    // the object passes its schema, or a type error would be reported twice.
    if (!crd) return [];
    const { violations, evaluated } = crd.rules.evaluate(object);
    this.celRulesEvaluated += evaluated;
    return violations.map((violation) => ({ object: id, message: `${violation.path}: ${violation.message}` }));
  }
}

/** The name scripts/commands/render.ts imports; the validator now covers core kinds too. */
export { ManifestValidator as CrdValidator };

/** The core kinds' definitions are reached through $ref from several places: one message each. */
function dedupe(issues: SchemaIssue[]): SchemaIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => !seen.has(issue.message) && seen.add(issue.message));
}

function formatError(error: ErrorObject): string {
  const where = error.instancePath || '/';
  if (error.keyword === 'additionalProperties') return `${where}: unknown field "${(error.params as { additionalProperty: string }).additionalProperty}"`;
  if (error.keyword === 'enum') return `${where}: must be one of ${JSON.stringify((error.params as { allowedValues: unknown[] }).allowedValues)}`;
  return `${where}: ${error.message ?? error.keyword}`;
}

export function describe(object: K8sObject): string {
  const ns = object.metadata?.namespace ? `${object.metadata.namespace}/` : '';
  return `${object.kind} ${ns}${object.metadata?.name ?? '(no name)'}`;
}

function listYaml(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) files.push(...listYaml(path));
    else if (/\.ya?ml$/.test(entry)) files.push(path);
  }
  return files;
}

/** Every object of a multi-document YAML stream (kubectl kustomize output). */
export function parseObjects(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`invalid YAML: ${doc.errors[0]?.message}`);
      return doc.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}
