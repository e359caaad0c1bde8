// The string formats OpenAPI schemas of Kubernetes and its CRDs use, for Ajv.
import type { Ajv } from 'ajv';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

export function addOpenApiFormats(ajv: Ajv | Ajv2020): void {
  const addFormats = addFormatsModule as unknown as (ajv: Ajv | Ajv2020) => void;
  addFormats(ajv);
  // OpenAPI numeric formats only restate the type; `byte` is base64.
  for (const format of ['int32', 'int64', 'double', 'float']) ajv.addFormat(format, true);
  ajv.addFormat('byte', /^[A-Za-z0-9+/]*={0,2}$/);
}
