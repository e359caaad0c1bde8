// `oc-edge keys`: the organisation cookie's signing keys (src/keys). Secrets are printed only by
// `render`, into a file of mode 0600 or to a pipe; every other subcommand shows fingerprints.
import type { Command } from 'commander';
import { UsageError } from '../lib/errors.ts';

const fileOption = ['--file <path>', 'key file (env OC_KEYS_FILE)', process.env.OC_KEYS_FILE || '.data/keys.json'] as const;

async function keysModule() {
  const keys = await import('../../src/keys/index.ts');
  // Key-file problems are the user's to fix: report them as usage errors (exit 2, one line).
  const wrap =
    <A extends unknown[], R>(fn: (...args: A) => R) =>
    (...args: A): R => {
      try {
        return fn(...args);
      } catch (error) {
        if (error instanceof keys.KeyFileError) throw new UsageError(error.message);
        throw error;
      }
    };
  return { ...keys, initKeys: wrap(keys.initKeys), rotateKeys: wrap(keys.rotateKeys), readKeyFile: wrap(keys.readKeyFile) };
}

function describeSecrets(secrets: readonly string[], fingerprint: (s: string) => string): string {
  return secrets.map((s, i) => `  ${i === 0 ? 'current ' : 'previous'} ${fingerprint(s)}`).join('\n');
}

export function register(program: Command): void {
  const keys = program.command('keys').description('create, rotate, show and render the organisation cookie signing keys');

  keys
    .command('init')
    .description('create the key file with one strong secret (32 random bytes)')
    .option(...fileOption)
    .option('--force', 'replace an existing key file (every cookie signed before stops verifying)', false)
    .action(async (options: { file: string; force: boolean }) => {
      const { initKeys, fingerprint } = await keysModule();
      const keyFile = initKeys(options.file, { force: options.force });
      process.stdout.write(`created ${options.file} (mode 0600)\n${describeSecrets(keyFile.secrets, fingerprint)}\n`);
    });

  keys
    .command('rotate')
    .description('put a new secret first, keep the previous ones (cookies signed with a kept key stay valid)')
    .option(...fileOption)
    .option('--keep <n>', 'previous secrets to keep', '2')
    .action(async (options: { file: string; keep: string }) => {
      const keep = Number(options.keep);
      if (!/^\d+$/.test(options.keep)) throw new UsageError(`--keep must be a whole number ≥ 0, got ${options.keep}`);
      const { rotateKeys, fingerprint } = await keysModule();
      const keyFile = rotateKeys(options.file, { keep });
      process.stdout.write(`rotated ${options.file}\n${describeSecrets(keyFile.secrets, fingerprint)}\n`);
      process.stderr.write('re-render the Secret (oc-edge keys render) and restart the waypoint and the organisation backend to pick it up\n');
    });

  keys
    .command('show')
    .description('show the key file: fingerprints and dates, never the secrets')
    .option(...fileOption)
    .option('--json', 'machine-readable', false)
    .action(async (options: { file: string; json: boolean }) => {
      const { readKeyFile, fingerprint, isTooOpen } = await keysModule();
      const keyFile = readKeyFile(options.file);
      const summary = {
        file: options.file,
        createdAt: keyFile.createdAt,
        rotatedAt: keyFile.rotatedAt ?? null,
        secrets: keyFile.secrets.map((s, i) => ({ role: i === 0 ? 'current' : 'previous', fingerprint: fingerprint(s), bytes: Buffer.byteLength(s) })),
        tooOpen: isTooOpen(options.file),
      };
      if (options.json) {
        process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
        return;
      }
      process.stdout.write(`${options.file}: ${keyFile.secrets.length} secret(s), created ${keyFile.createdAt}${keyFile.rotatedAt ? `, rotated ${keyFile.rotatedAt}` : ''}\n`);
      process.stdout.write(`${describeSecrets(keyFile.secrets, fingerprint)}\n`);
      if (summary.tooOpen) process.stderr.write(`warning: ${options.file} is readable by others (chmod 600 it)\n`);
    });

  keys
    .command('render')
    .description('write the Kubernetes Secret the waypoint and the organisation backend read')
    .option(...fileOption)
    .option('--namespace <ns>', 'namespace of the Secret', 'oneconnect')
    .option('--out <path>', 'output file (mode 0600), or - for stdout', '-')
    .action(async (options: { file: string; namespace: string; out: string }) => {
      const { readKeyFile } = await keysModule();
      const { secretManifestYaml } = await import('../../src/keys/secret-manifest.ts');
      const yaml = secretManifestYaml(readKeyFile(options.file).secrets, { namespace: options.namespace });
      if (options.out === '-') {
        process.stdout.write(yaml);
        return;
      }
      const { writeFileSync, chmodSync } = await import('node:fs');
      writeFileSync(options.out, yaml, { mode: 0o600 });
      chmodSync(options.out, 0o600);
      process.stderr.write(`wrote ${options.out} (mode 0600); apply it with kubectl apply -f ${options.out}\n`);
    });
}
