// Validates Kubernetes objects against the CRDs' own OpenAPI v3 schemas (../shared/schemas), the
// way the API server would: an unknown field is an error (the server would prune it silently, which
// hides typos), formats and enums are checked. CEL rules (x-kubernetes-validations) are not
// evaluated; they are counted so the report can say what was not checked.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parseAllDocuments } from 'yaml';

export const DEFAULT_SCHEMAS_DIR = fileURLToPath(new URL('../../../shared/schemas', import.meta.url));

type Schema = Record<string, unknown>;
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

/** Turns an apiextensions schema into a strict JSON Schema for Ajv; counts the CEL rules it drops. */
function toJsonSchema(node: unknown, stats: { celRules: number }): unknown {
  if (Array.isArray(node)) return node.map((item) => toJsonSchema(item, stats));
  if (typeof node !== 'object' || node === null) return node;
  const source = node as Schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(source)) {
    if (key === 'x-kubernetes-validations') {
      stats.celRules += (value as unknown[]).length;
      continue;
    }
    if (key.startsWith('x-kubernetes-')) continue;
    // `properties` and `patternProperties` hold field names, not keywords: convert only their values.
    if (key === 'properties') {
      out.properties = Object.fromEntries(Object.entries(value as Schema).map(([name, sub]) => [name, toJsonSchema(sub, stats)]));
      continue;
    }
    out[key] = toJsonSchema(value, stats);
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

/**
 * The API server adds apiVersion, kind and ObjectMeta to every CRD's schema (some CRDs, Istio's,
 * declare only spec and status). The subset of ObjectMeta a manifest may set, strictly.
 */
const OBJECT_META: Schema = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', maxLength: 253, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$' },
    namespace: { type: 'string', maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' },
    labels: { type: 'object', additionalProperties: { type: 'string', maxLength: 63 } },
    annotations: { type: 'object', additionalProperties: { type: 'string' } },
    finalizers: { type: 'array', items: { type: 'string' } },
  },
};

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

export class CrdValidator {
  private readonly ajv: Ajv;
  private readonly validators = new Map<string, ValidateFunction>();
  /** CEL rules present in the schemas we validated against, per apiVersion/kind. */
  readonly uncheckedCelRules = new Map<string, number>();

  constructor(schemasDir: string = DEFAULT_SCHEMAS_DIR) {
    this.ajv = new Ajv({ allErrors: true, strict: false });
    const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
    addFormats(this.ajv);
    // OpenAPI numeric formats only restate the type; `byte` is base64.
    for (const format of ['int32', 'int64', 'double', 'float']) this.ajv.addFormat(format, true);
    this.ajv.addFormat('byte', /^[A-Za-z0-9+/]*={0,2}$/);
    for (const file of listYaml(schemasDir)) {
      for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
        const crd = doc.toJS() as Schema | null;
        if (!crd || crd.kind !== 'CustomResourceDefinition') continue;
        const spec = crd.spec as { group: string; names: { kind: string }; versions: { name: string; served: boolean; schema?: { openAPIV3Schema: Schema } }[] };
        for (const version of spec.versions) {
          if (!version.served || !version.schema) continue;
          const key = `${spec.group}/${version.name}/${spec.names.kind}`;
          const stats = { celRules: 0 };
          const schema = withObjectMeta(toJsonSchema(version.schema.openAPIV3Schema, stats) as Schema);
          this.validators.set(key, this.ajv.compile(schema));
          this.uncheckedCelRules.set(key, stats.celRules);
        }
      }
    }
  }

  /** Whether a CRD schema exists for this object's apiVersion and kind. */
  has(object: Pick<K8sObject, 'apiVersion' | 'kind'>): boolean {
    return this.validators.has(`${object.apiVersion}/${object.kind}`);
  }

  validate(object: K8sObject): SchemaIssue[] {
    const id = describe(object);
    const validator = this.validators.get(`${object.apiVersion}/${object.kind}`);
    if (!validator) return [{ object: id, message: `no CRD schema for ${object.apiVersion} ${object.kind}` }];
    const issues: SchemaIssue[] = [];
    if (!validator(object)) {
      for (const error of validator.errors ?? []) issues.push({ object: id, message: formatError(error) });
    }
    return issues;
  }
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
