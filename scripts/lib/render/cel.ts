// Evaluates a CRD version's x-kubernetes-validations rules on an object, as the API server does on
// create: defaults from the schema are applied first (rules are written against defaulted objects:
// an HTTPRoute rule without `matches` is checked as if it matched PathPrefix "/"), each rule runs
// with `self` bound to the value at its place in the schema, and only where that value is present.
// Integers become CEL ints (the schema says which fields are integers), the rest as in JSON.
import { compileRule, type CompiledRule } from './cel-k8s.ts';

type Schema = Record<string, unknown>;

/** A CRD schema reduced to what rule evaluation needs, with every rule compiled once. */
interface RuleNode {
  rules: { compiled: CompiledRule; message?: string }[];
  type?: string;
  intOrString: boolean;
  default?: unknown;
  properties: Map<string, RuleNode>;
  items?: RuleNode;
  additionalProperties?: RuleNode;
}

export interface CelViolation {
  /** JSON pointer of the value the rule is about ("/" for the object). */
  path: string;
  message: string;
}

export class CelRules {
  private readonly root: RuleNode;
  /** Rules of this schema that read oldSelf: checked by the API server on update only. */
  readonly transitionRules: number;

  constructor(openApiV3Schema: Schema) {
    const counts = { transition: 0 };
    this.root = toRuleNode(openApiV3Schema, counts);
    this.transitionRules = counts.transition;
  }

  /** Violations, and how many rules ran (a test shows the rules are reached at all). */
  evaluate(object: unknown): { violations: CelViolation[]; evaluated: number } {
    const result = { violations: [] as CelViolation[], evaluated: 0 };
    walk(this.root, applyDefaults(object, this.root), '', result);
    return result;
  }
}

function toRuleNode(schema: Schema, counts: { transition: number }): RuleNode {
  const node: RuleNode = {
    rules: [],
    type: schema.type as string | undefined,
    intOrString: schema['x-kubernetes-int-or-string'] === true,
    default: schema.default,
    properties: new Map(),
  };
  for (const rule of (schema['x-kubernetes-validations'] ?? []) as { rule: string; message?: string }[]) {
    const compiled = compileRule(rule.rule);
    if (compiled.kind === 'transition') counts.transition++;
    else node.rules.push({ compiled, message: rule.message });
  }
  for (const [name, sub] of Object.entries((schema.properties ?? {}) as Record<string, Schema>)) node.properties.set(name, toRuleNode(sub, counts));
  if (typeof schema.items === 'object' && schema.items !== null) node.items = toRuleNode(schema.items as Schema, counts);
  if (typeof schema.additionalProperties === 'object' && schema.additionalProperties !== null) {
    node.additionalProperties = toRuleNode(schema.additionalProperties as Schema, counts);
  }
  return node;
}

/** Structural-schema defaulting: an absent property with a default gets it, then nested defaults. */
function applyDefaults(value: unknown, node: RuleNode): unknown {
  if (Array.isArray(value)) return node.items ? value.map((item) => applyDefaults(item, node.items!)) : value;
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const sub = node.properties.get(key) ?? node.additionalProperties;
    out[key] = sub ? applyDefaults(item, sub) : item;
  }
  for (const [key, sub] of node.properties) {
    if (out[key] === undefined && sub.default !== undefined) out[key] = applyDefaults(structuredClone(sub.default), sub);
  }
  return out;
}

function walk(node: RuleNode, value: unknown, path: string, result: { violations: CelViolation[]; evaluated: number }): void {
  if (value === undefined) return;
  const { violations } = result;
  if (node.rules.length > 0) {
    const self = toCel(value, node);
    for (const { compiled, message } of node.rules) {
      const where = path || '/';
      if (compiled.kind === 'unsupported') {
        violations.push({ path: where, message: `CEL rule not evaluated: it ${compiled.reason}: ${compiled.source}` });
        continue;
      }
      if (compiled.kind !== 'rule') continue;
      result.evaluated++;
      const outcome = compiled.evaluate(self);
      if (!outcome.ok) violations.push({ path: where, message: `CEL rule could not be evaluated (${outcome.error}): ${compiled.source}` });
      else if (outcome.value !== true) violations.push({ path: where, message: message ?? `failed rule: ${compiled.source}` });
    }
  }
  if (Array.isArray(value)) {
    if (node.items) value.forEach((item, index) => walk(node.items!, item, `${path}/${index}`, result));
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  for (const [key, item] of Object.entries(value)) {
    const sub = node.properties.get(key) ?? node.additionalProperties;
    if (sub) walk(sub, item, `${path}/${escapePointer(key)}`, result);
  }
}

/** JSON → CEL: integer fields (and the integer side of int-or-string) as int (bigint). */
function toCel(value: unknown, node: RuleNode | undefined): unknown {
  if (typeof value === 'number') {
    const integer = node === undefined ? Number.isInteger(value) : node.type === 'integer' || (node.intOrString && Number.isInteger(value));
    return integer ? BigInt(value) : value;
  }
  if (Array.isArray(value)) return value.map((item) => toCel(item, node?.items));
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, toCel(item, node ? (node.properties.get(key) ?? node.additionalProperties) : undefined)]));
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}
