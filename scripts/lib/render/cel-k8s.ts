// The CEL environment of a CRD's x-kubernetes-validations rules, as the API server offers it: the
// standard library (@bufbuild/cel: macros, size, matches with RE2, startsWith, duration, int, …),
// the strings extension (split, substring, lowerAscii, …) and Kubernetes' URL library (isURL,
// url, getScheme, getHost, getHostname, getPort). A rule that calls anything else does not compile:
// it is reported, never taken as passing. Rules that read oldSelf are transition rules, which the
// API server checks only on update; a manifest is a create, so they are recognised and left out.
import { celEnv, celFunc, celMethod, CelScalar, isCelError, mapType, parse, plan, type CelMap, type CelValue } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { parseRequestUri } from './cel-k8s-url.ts';

/** Kubernetes' URL type, modelled as a map of its parts (the API server type-checks every rule when
 * the CRD is installed, so no accepted rule calls a URL method on an ordinary map). */
const URL_TYPE = mapType(CelScalar.STRING, CelScalar.STRING);
const URL_MARK = '\u0000url';

function toUrl(text: string): Map<string, string> {
  const parsed = parseRequestUri(text);
  if ('error' in parsed) throw new Error(`URL parse error during conversion from string: ${parsed.error}`);
  return new Map([[URL_MARK, text], ['scheme', parsed.scheme], ['host', parsed.host], ['hostname', parsed.hostname], ['port', parsed.port]]);
}

function urlPart(url: CelMap, part: string): string {
  if (!url.has(URL_MARK)) throw new Error(`the ${part} of a map: URL methods apply to url() values only`);
  return url.get(part) as string;
}

const K8S_URL_FUNCS = [
  celFunc('isURL', [CelScalar.STRING], CelScalar.BOOL, (text) => !('error' in parseRequestUri(text))),
  celFunc('url', [CelScalar.STRING], URL_TYPE, toUrl),
  celMethod('getScheme', URL_TYPE, [], CelScalar.STRING, function () { return urlPart(this, 'scheme'); }),
  celMethod('getHost', URL_TYPE, [], CelScalar.STRING, function () { return urlPart(this, 'host'); }),
  celMethod('getHostname', URL_TYPE, [], CelScalar.STRING, function () { return urlPart(this, 'hostname'); }),
  celMethod('getPort', URL_TYPE, [], CelScalar.STRING, function () { return urlPart(this, 'port'); }),
];

/**
 * Functions a rule may call. Operators (`_==_`, `_&&_`, `@in`, `_[_]`, …) are always there; any
 * other name must be listed here and be implemented by the environment below.
 */
export const SUPPORTED_FUNCTIONS: ReadonlySet<string> = new Set([
  // macros
  'has', 'all', 'exists', 'exists_one', 'filter', 'map',
  // standard library
  'size', 'matches', 'startsWith', 'endsWith', 'contains', 'int', 'uint', 'double', 'string', 'bool', 'bytes', 'duration', 'timestamp', 'dyn', 'type',
  // strings extension
  'charAt', 'indexOf', 'lastIndexOf', 'lowerAscii', 'upperAscii', 'replace', 'split', 'substring', 'trim', 'join',
  // Kubernetes URL library
  'isURL', 'url', 'getScheme', 'getHost', 'getHostname', 'getPort',
]);

const env = celEnv({ funcs: [...strings, ...K8S_URL_FUNCS] });

export type CompiledRule =
  | { kind: 'rule'; source: string; evaluate: (self: unknown) => { ok: true; value: CelValue } | { ok: false; error: string } }
  | { kind: 'transition'; source: string }
  | { kind: 'unsupported'; source: string; reason: string };

/** Parses and plans one rule once; the CRD's schema is loaded once per run. */
export function compileRule(source: string): CompiledRule {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(source);
  } catch (error) {
    return { kind: 'unsupported', source, reason: `does not parse: ${(error as Error).message}` };
  }
  const { functions, identifiers } = namesIn(parsed);
  if (identifiers.has('oldSelf')) return { kind: 'transition', source };
  const unsupported = [...functions].filter((name) => !isOperator(name) && !SUPPORTED_FUNCTIONS.has(name));
  if (unsupported.length > 0) return { kind: 'unsupported', source, reason: `calls ${unsupported.join(', ')}, which this evaluator does not implement` };
  const run = plan(env, parsed);
  return {
    kind: 'rule',
    source,
    evaluate: (self) => {
      let result: ReturnType<typeof run>;
      try {
        result = run({ self: self as never });
      } catch (error) {
        return { ok: false, error: (error as Error).message };
      }
      return isCelError(result) ? { ok: false, error: result.message } : { ok: true, value: result };
    },
  };
}

function isOperator(name: string): boolean {
  return /^[_@!]/.test(name);
}

/** Every function name called and identifier read anywhere in a parsed expression. */
function namesIn(tree: unknown): { functions: Set<string>; identifiers: Set<string> } {
  const functions = new Set<string>();
  const identifiers = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (typeof node !== 'object' || node === null || node instanceof Uint8Array) return;
    const kind = (node as { exprKind?: { case?: string; value?: { function?: string; name?: string } } }).exprKind;
    if (kind?.case === 'callExpr' && kind.value?.function) functions.add(kind.value.function);
    if (kind?.case === 'identExpr' && kind.value?.name) identifiers.add(kind.value.name);
    for (const value of Object.values(node)) visit(value);
  };
  visit(tree);
  return { functions, identifiers };
}
