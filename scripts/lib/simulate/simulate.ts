// `oc-edge simulate`: turns command-line flags into one request through a Proxy-Wasm module in the
// Node host or a real Envoy (runtime.ts), and formats the outcome. Flag values are untrusted: errors name the flag or the key,
// never a value (environment values are usually secrets).
import { existsSync, readFileSync } from 'node:fs';
import { UsageError } from '../errors.ts';
import { FILTER_WASM } from '../artifacts.ts';
import { JWT_PAYLOAD_HEADER } from '../../../src/topology/waypoint.ts';
import type { HeaderList, HostOptions, LogLevel, RequestInput } from '../../../src/host/index.ts';
import { RUNTIME_KINDS, type RuntimeKind, type RuntimeResult } from './runtime.ts';

export interface SimulateFlags {
  wasm: string;
  env: string[];
  envFile?: string;
  pluginConfig?: string;
  method: string;
  path: string;
  authority?: string;
  header: string[];
  jwtClaims?: string;
  logLevel: string;
  json?: boolean;
  /** node (src/host, default) or envoy (a real Envoy process). */
  runtime?: string;
}

export interface SimulateOutput {
  headers: HeaderList;
  localResponse: null | { status: number; details: string };
  logs: { level: string; message: string }[];
  metrics: Record<string, number>;
}

export const DEFAULT_WASM = FILTER_WASM.path;
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'critical'];

function envEntry(entry: string, where: string): [string, string] {
  const equals = entry.indexOf('=');
  const key = equals < 0 ? entry : entry.slice(0, equals);
  if (equals < 0 || !ENV_KEY.test(key)) throw new UsageError(`${where}: expected KEY=VALUE with KEY of letters, digits and _ (got key ${JSON.stringify(key.slice(0, 40))})`);
  return [key, entry.slice(equals + 1)];
}

/** A dotenv-style file: KEY=VALUE lines, `#` comments, optional `export ` and surrounding quotes. */
export function parseEnvFile(text: string, file: string): Record<string, string> {
  const env: Record<string, string> = {};
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const [key, rawValue] = envEntry(line.replace(/^export\s+/, ''), `${file}:${index + 1}`);
    let value = rawValue.trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.at(-1) === value[0]) value = value.slice(1, -1);
    env[key] = value;
  });
  return env;
}

function parseHeader(flag: string): [string, string] {
  const colon = flag.indexOf(':', flag.startsWith(':') ? 1 : 0);
  const name = colon < 0 ? '' : flag.slice(0, colon).trim();
  const value = colon < 0 ? '' : flag.slice(colon + 1).trim();
  const bareName = name.startsWith(':') ? name.slice(1) : name;
  if (colon < 0 || !TOKEN.test(bareName)) throw new UsageError(`--header must be 'name: value' with a valid header name (got ${JSON.stringify(flag.slice(0, 40))})`);
  if (!HEADER_VALUE.test(value)) throw new UsageError(`--header ${name}: the value has control characters`);
  return [name, value];
}

function parseJson(flag: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${flag} is not valid JSON: ${(error as Error).message}`);
  }
}

/** base64url without padding, as jwt_authn writes outputPayloadToHeader. */
const base64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

export function buildSimulation(flags: SimulateFlags): { host: HostOptions; request: RequestInput } {
  const env: Record<string, string> = {};
  if (flags.envFile) {
    let text: string;
    try {
      text = readFileSync(flags.envFile, 'utf8');
    } catch (error) {
      throw new UsageError(`--env-file ${flags.envFile}: ${(error as NodeJS.ErrnoException).code ?? 'cannot read'}`);
    }
    Object.assign(env, parseEnvFile(text, flags.envFile));
  }
  for (const entry of flags.env) {
    const [key, value] = envEntry(entry, '--env');
    env[key] = value;
  }
  if (flags.pluginConfig !== undefined) parseJson('--plugin-config', flags.pluginConfig);
  if (!TOKEN.test(flags.method)) throw new UsageError('--method must be an HTTP token such as GET');
  if (!/^(\/|\*$)/.test(flags.path) || !HEADER_VALUE.test(flags.path) || /\s/.test(flags.path)) throw new UsageError("--path must start with '/' and have no spaces or control characters");
  if (!LOG_LEVELS.includes(flags.logLevel)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  const headers = flags.header.map(parseHeader);
  const request: RequestInput = { method: flags.method, path: flags.path, authority: flags.authority, headers };
  if (flags.jwtClaims !== undefined) {
    const claims = parseJson('--jwt-claims', flags.jwtClaims);
    if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) throw new UsageError('--jwt-claims must be a JSON object');
    // What jwt_authn hands on for a verified token: the claims as dynamic metadata and the payload header.
    request.jwtPayload = claims;
    headers.push([JWT_PAYLOAD_HEADER, base64url(JSON.stringify(claims))]);
  }
  return {
    host: { wasm: flags.wasm, env, pluginConfig: flags.pluginConfig, logLevel: flags.logLevel as LogLevel },
    request,
  };
}

export function toOutput(result: RuntimeResult, metrics: Record<string, number>): SimulateOutput {
  return {
    headers: result.headers,
    localResponse: result.localResponse ? { status: result.localResponse.status, details: result.localResponse.details } : null,
    logs: result.logs.map(({ level, message }) => ({ level, message })),
    metrics,
  };
}

export function formatText(output: SimulateOutput): string {
  const lines = ['request headers:'];
  for (const [name, value] of output.headers) lines.push(`  ${name}: ${value}`);
  lines.push(`local response: ${output.localResponse ? `${output.localResponse.status} (${output.localResponse.details})` : 'none'}`);
  lines.push('logs:');
  if (output.logs.length === 0) lines.push('  (none)');
  for (const log of output.logs) lines.push(`  [${log.level}] ${log.message}`);
  lines.push('metrics:');
  const names = Object.keys(output.metrics).sort();
  if (names.length === 0) lines.push('  (none)');
  for (const name of names) lines.push(`  ${name} = ${output.metrics[name]}`);
  return `${lines.join('\n')}\n`;
}

/** The default module is the repository's release build, wherever the command runs from. */
function locateWasm(wasm: string): string {
  if (wasm !== DEFAULT_WASM || existsSync(wasm)) return wasm;
  return FILTER_WASM.absolute;
}

export async function simulate(flags: SimulateFlags): Promise<string> {
  const { PluginConfigError, PluginStartError } = await import('../../../src/host/index.ts');
  const { createRuntime } = await import('./runtime.ts');
  const kind = flags.runtime ?? 'node';
  if (!(RUNTIME_KINDS as readonly string[]).includes(kind)) throw new UsageError(`--runtime must be one of ${RUNTIME_KINDS.join(', ')}`);
  const { host, request } = buildSimulation({ ...flags, wasm: locateWasm(flags.wasm) });
  if (typeof host.wasm === 'string' && !existsSync(host.wasm)) throw new UsageError(`--wasm ${flags.wasm}: no such file (run npm run build?)`);
  let runtime;
  try {
    runtime = await createRuntime(kind as RuntimeKind, { wasm: host.wasm as string, env: host.env, pluginConfig: host.pluginConfig, logLevel: host.logLevel });
  } catch (error) {
    // The plugin refused its configuration: its own message is what the user needs.
    if (error instanceof PluginConfigError) throw new UsageError(error.message);
    if (error instanceof PluginStartError) throw new UsageError(error.message);
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`--wasm ${flags.wasm}: no such file (run npm run build?)`);
    if ((error as Error).name === 'EnvoyNotFoundError') throw new UsageError((error as Error).message);
    throw error;
  }
  try {
    const result = await runtime.request(request);
    const output = toOutput(result, await runtime.metrics());
    return flags.json ? `${JSON.stringify(output, null, 2)}\n` : formatText(output);
  } finally {
    await runtime.close();
  }
}
