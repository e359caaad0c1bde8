// Validates core Kubernetes kinds (Namespace, Service, Deployment, …) against the API definitions
// vendored in schemas/kubernetes/definitions.json: JSON Schema (draft 2020-12) generated from
// Kubernetes' OpenAPI by kubernetes-validate, strict variant, so an unknown field is an error here
// as in the CRD schemas. Which kind a definition describes comes from its
// x-kubernetes-group-version-kind, as in the OpenAPI spec itself.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import { addOpenApiFormats } from './formats.ts';
import { OBJECT_META } from './object-meta.ts';

interface DefinitionsFile {
  kubernetesVersion: string;
  $defs: Record<string, { 'x-kubernetes-group-version-kind'?: { group: string; version: string; kind: string }[] }>;
}

const DEFINITIONS_ID = 'kubernetes-definitions';

export class CoreKindSchemas {
  private readonly ajv = new Ajv2020({ allErrors: true, strict: false });
  private readonly definitionFor = new Map<string, string>();
  private readonly validators = new Map<string, ValidateFunction>();
  readonly kubernetesVersion: string;

  constructor(schemasDir: string) {
    addOpenApiFormats(this.ajv);
    const file = JSON.parse(readFileSync(join(schemasDir, 'kubernetes', 'definitions.json'), 'utf8')) as DefinitionsFile;
    this.kubernetesVersion = file.kubernetesVersion;
    this.ajv.addSchema({ $id: DEFINITIONS_ID, $defs: file.$defs });
    for (const [name, definition] of Object.entries(file.$defs)) {
      for (const gvk of definition['x-kubernetes-group-version-kind'] ?? []) {
        this.definitionFor.set(`${gvk.group ? `${gvk.group}/` : ''}${gvk.version}/${gvk.kind}`, name);
      }
    }
  }

  has(apiVersion: string, kind: string): boolean {
    return this.definitionFor.has(`${apiVersion}/${kind}`);
  }

  /** The compiled validator for an apiVersion/kind (once each): the definition, with the strict
   * manifest subset of ObjectMeta on top (uid, resourceVersion, … are the server's to set). */
  validator(apiVersion: string, kind: string): ValidateFunction | undefined {
    const key = `${apiVersion}/${kind}`;
    const name = this.definitionFor.get(key);
    if (!name) return undefined;
    let validate = this.validators.get(key);
    if (!validate) {
      validate = this.ajv.compile({
        allOf: [{ $ref: `${DEFINITIONS_ID}#/$defs/${name}` }],
        required: ['apiVersion', 'kind', 'metadata'],
        properties: { metadata: OBJECT_META },
      });
      this.validators.set(key, validate);
    }
    return validate;
  }
}
