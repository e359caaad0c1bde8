// Validates an Envoy configuration against Envoy's own API protos (shipped by @grpc/grpc-js-xds
// under deps/): every field must exist in its message (unknown fields are errors, as Envoy's
// strict proto validation makes them), every `@type` must resolve to a loaded message (packages
// are loaded on demand), deprecated fields are refused, and the common protoc-gen-validate rules
// (required messages and oneofs, string lengths and patterns, repeated min_items, defined enums) hold.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import protobuf from 'protobufjs';
import { applyNewerEnvoyApi } from './protos-newer.ts';

const require = createRequire(import.meta.url);
const DEPS = join(dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
const INCLUDE_DIRS = ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((dir) => join(DEPS, dir));
const PROTOBUFJS_DESCRIPTOR = join(dirname(require.resolve('protobufjs/package.json')), 'google/protobuf/descriptor.proto');

export const BOOTSTRAP_TYPE = 'envoy.config.bootstrap.v3.Bootstrap';

export class EnvoyProtos {
  readonly root = new protobuf.Root();
  private packageIndex: Map<string, string[]> | undefined;

  constructor() {
    this.root.resolvePath = (_origin, target) => {
      // protobufjs bundles the well-known types; only descriptor.proto is read from its files.
      if (target.startsWith('google/protobuf/')) return target === 'google/protobuf/descriptor.proto' ? PROTOBUFJS_DESCRIPTOR : target;
      for (const dir of INCLUDE_DIRS) {
        const candidate = join(dir, target);
        if (existsSync(candidate)) return candidate;
      }
      return target;
    };
    this.load(['envoy/config/bootstrap/v3/bootstrap.proto']);
  }

  private load(files: string[]): void {
    this.root.loadSync(files, { keepCase: true });
    applyNewerEnvoyApi(this.root);
    this.root.resolveAll();
  }

  /** The message for a fully-qualified name, loading its package's files when not loaded yet. */
  lookup(name: string): protobuf.Type | undefined {
    const found = this.tryLookup(name);
    if (found) return found;
    const pkg = name.slice(0, name.lastIndexOf('.'));
    const files = this.index().get(pkg);
    if (!files) return undefined;
    this.load(files);
    return this.tryLookup(name);
  }

  private tryLookup(name: string): protobuf.Type | undefined {
    const found = this.root.lookup(name);
    return found instanceof protobuf.Type ? found : undefined;
  }

  /** package → .proto files (relative to their include dir), built once by reading `package x;`. */
  private index(): Map<string, string[]> {
    if (this.packageIndex) return this.packageIndex;
    const index = new Map<string, string[]>();
    for (const dir of INCLUDE_DIRS) {
      const walk = (path: string) => {
        for (const entry of readdirSync(path)) {
          const full = join(path, entry);
          if (statSync(full).isDirectory()) walk(full);
          else if (entry.endsWith('.proto')) {
            const pkg = /^package\s+([\w.]+)\s*;/m.exec(readFileSync(full, 'utf8'))?.[1];
            if (pkg) index.set(pkg, [...(index.get(pkg) ?? []), full.slice(dir.length + 1)]);
          }
        }
      };
      walk(dir);
    }
    this.packageIndex = index;
    return index;
  }
}

type Json = unknown;
const isObject = (value: Json): value is Record<string, Json> => typeof value === 'object' && value !== null && !Array.isArray(value);
const camel = (name: string) => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const DURATION = /^-?\d+(\.\d{1,9})?s$/;
const INTEGER = /^-?\d+$/;

export function validateEnvoyConfig(protos: EnvoyProtos, config: Json, typeName = BOOTSTRAP_TYPE): string[] {
  const errors: string[] = [];
  const type = protos.lookup(typeName);
  if (!type) return [`unknown message type ${typeName}`];
  validateMessage(protos, type, config, '', errors);
  return errors;
}

/** Well-known types with a special JSON form; returns undefined when `type` is not one. */
function validateWellKnown(protos: EnvoyProtos, type: protobuf.Type, value: Json, path: string, errors: string[]): boolean | undefined {
  const fail = (what: string) => {
    errors.push(`${path || '/'}: expected ${what} for ${type.fullName.slice(1)}`);
    return true;
  };
  switch (type.fullName) {
    case '.google.protobuf.Any': {
      if (!isObject(value) || typeof value['@type'] !== 'string') return fail('an object with "@type"');
      const url = value['@type'];
      const inner = protos.lookup(url.slice(url.lastIndexOf('/') + 1));
      if (!inner || !url.includes('/')) {
        errors.push(`${path}/@type: cannot resolve ${url}`);
        return true;
      }
      const { '@type': _ignored, ...rest } = value;
      if (isSpecialJson(inner)) validateMessage(protos, inner, rest.value, `${path}/value`, errors);
      else validateMessage(protos, inner, rest, path, errors);
      return true;
    }
    case '.google.protobuf.Duration':
      return typeof value === 'string' && DURATION.test(value) ? true : fail('a duration like "5s"');
    case '.google.protobuf.Timestamp':
      return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? true : fail('an RFC 3339 timestamp');
    case '.google.protobuf.BoolValue':
      return typeof value === 'boolean' ? true : fail('a boolean');
    case '.google.protobuf.StringValue':
    case '.google.protobuf.BytesValue':
    case '.google.protobuf.FieldMask':
      return typeof value === 'string' ? true : fail('a string');
    case '.google.protobuf.DoubleValue':
    case '.google.protobuf.FloatValue':
      return typeof value === 'number' ? true : fail('a number');
    case '.google.protobuf.Int32Value':
    case '.google.protobuf.UInt32Value':
    case '.google.protobuf.Int64Value':
    case '.google.protobuf.UInt64Value':
      return (typeof value === 'number' && Number.isInteger(value)) || (typeof value === 'string' && INTEGER.test(value)) ? true : fail('an integer');
    case '.google.protobuf.Struct':
      return isObject(value) ? true : fail('an object');
    case '.google.protobuf.ListValue':
      return Array.isArray(value) ? true : fail('a list');
    case '.google.protobuf.Value':
      return true;
    case '.google.protobuf.Empty':
      return isObject(value) && Object.keys(value).length === 0 ? true : fail('{}');
    default:
      return undefined;
  }
}

function isSpecialJson(type: protobuf.Type): boolean {
  return type.fullName.startsWith('.google.protobuf.') && type.fullName !== '.google.protobuf.Any' && !['.google.protobuf.Empty'].includes(type.fullName);
}

function validateMessage(protos: EnvoyProtos, type: protobuf.Type, value: Json, path: string, errors: string[]): void {
  if (validateWellKnown(protos, type, value, path, errors)) return;
  if (!isObject(value)) {
    errors.push(`${path || '/'}: expected an object (${type.fullName.slice(1)})`);
    return;
  }
  const byJsonName = new Map(type.fieldsArray.map((f) => [camel(f.name), f]));
  const present = new Set<string>();
  for (const [key, fieldValue] of Object.entries(value)) {
    const field = type.fields[key] ?? byJsonName.get(key);
    const where = `${path}/${key}`;
    if (!field) {
      errors.push(`${where}: unknown field of ${type.fullName.slice(1)}`);
      continue;
    }
    if (field.options?.deprecated === true) errors.push(`${where}: deprecated field`);
    if (fieldValue === null) continue;
    present.add(field.name);
    validateField(protos, field, fieldValue, where, errors);
  }
  for (const oneof of type.oneofsArray) {
    const set = oneof.oneof.filter((name) => present.has(name));
    if (set.length > 1) errors.push(`${path || '/'}: only one of ${oneof.oneof.join(', ')} may be set (got ${set.join(', ')})`);
    if (set.length === 0 && oneof.options?.['(validate.required)'] === true) errors.push(`${path || '/'}: one of ${oneof.oneof.join(', ')} is required`);
  }
  for (const field of type.fieldsArray) {
    // A oneof member's rules apply only when it is the one set (checked above).
    if (field.partOf || present.has(field.name)) continue;
    if (field.options?.['(validate.rules).message.required'] === true) errors.push(`${path}/${field.name}: required`);
    if (field.options?.['(validate.rules).string.min_len']) errors.push(`${path}/${field.name}: required (min_len)`);
  }
}

function validateField(protos: EnvoyProtos, field: protobuf.Field, value: Json, path: string, errors: string[]): void {
  if (field.map) {
    if (!isObject(value)) {
      errors.push(`${path}: expected a map`);
      return;
    }
    for (const [key, item] of Object.entries(value)) validateSingle(protos, field, item, `${path}/${key}`, errors);
    return;
  }
  if (field.repeated) {
    if (!Array.isArray(value)) {
      errors.push(`${path}: expected a list`);
      return;
    }
    const min = field.options?.['(validate.rules).repeated.min_items'];
    if (typeof min === 'number' && value.length < min) errors.push(`${path}: needs at least ${min} item(s)`);
    value.forEach((item, index) => validateSingle(protos, field, item, `${path}/${index}`, errors));
    return;
  }
  validateSingle(protos, field, value, path, errors);
}

function validateSingle(protos: EnvoyProtos, field: protobuf.Field, value: Json, path: string, errors: string[]): void {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) {
    validateMessage(protos, resolved, value, path, errors);
    return;
  }
  if (resolved instanceof protobuf.Enum) {
    const ok = (typeof value === 'string' && value in resolved.values) || (typeof value === 'number' && Object.values(resolved.values).includes(value));
    if (!ok) errors.push(`${path}: ${JSON.stringify(value)} is not a value of ${resolved.fullName.slice(1)}`);
    return;
  }
  const rule = (name: string) => field.options?.[`(validate.rules).${name}`];
  switch (field.type) {
    case 'string': {
      if (typeof value !== 'string') {
        errors.push(`${path}: expected a string`);
        return;
      }
      const minLen = rule('string.min_len');
      if (typeof minLen === 'number' && value.length < minLen) errors.push(`${path}: must be at least ${minLen} character(s)`);
      const pattern = rule('string.pattern');
      if (typeof pattern === 'string' && !new RegExp(pattern, 'u').test(value)) errors.push(`${path}: does not match ${pattern}`);
      return;
    }
    case 'bytes':
      if (typeof value !== 'string') errors.push(`${path}: expected base64 bytes`);
      return;
    case 'bool':
      if (typeof value !== 'boolean') errors.push(`${path}: expected a boolean`);
      return;
    case 'double':
    case 'float':
      if (typeof value !== 'number') errors.push(`${path}: expected a number`);
      return;
    default: {
      // Integers; 64-bit ones may be strings in proto JSON.
      const integer = (typeof value === 'number' && Number.isInteger(value)) || (typeof value === 'string' && INTEGER.test(value));
      if (!integer) {
        errors.push(`${path}: expected an integer`);
        return;
      }
      const n = Number(value);
      if (field.type.startsWith('uint') || field.type.startsWith('fixed')) {
        if (n < 0) errors.push(`${path}: must not be negative`);
      }
      const lte = rule(`${field.type}.lte`);
      if (typeof lte === 'number' && n > lte) errors.push(`${path}: must be ≤ ${lte}`);
      const gt = rule(`${field.type}.gt`);
      if (typeof gt === 'number' && n <= gt) errors.push(`${path}: must be > ${gt}`);
    }
  }
}
