// Bundles the enrichment Lambda (src/enrichment/handler.ts) into one ES module and a zip ready to
// upload: `dist/enrichment.mjs`, and `dist/enrichment.zip` holding it as `index.mjs`, so the
// function's handler setting is Lambda's default `index.handler` on the nodejs20.x runtime.
// The bundle must stand alone: any input outside src/enrichment fails the build.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import { build } from 'esbuild';
import { DIST_DIR_ABSOLUTE, ENRICHMENT_MODULE, ENRICHMENT_ZIP, REPO_ROOT } from '../artifacts.ts';

const root = resolve(REPO_ROOT);
const entry = join(root, 'src/enrichment/handler.ts');

export interface BundleResult {
  /** The zip to upload. */
  file: string;
  bytes: number;
  /** The single-file module inside it. */
  module: string;
}

export async function bundleEnrichment(outDir: string): Promise<BundleResult> {
  mkdirSync(outDir, { recursive: true });
  const modulePath = join(outDir, ENRICHMENT_MODULE.file);
  const result = await build({
    entryPoints: [entry],
    outfile: modulePath,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    metafile: true,
    sourcemap: false,
    legalComments: 'inline',
    logLevel: 'silent',
    banner: { js: '// oneconnect-edge enrichment Lambda (Cognito Pre Token Generation). Handler: index.handler' },
  });
  const outside = Object.keys(result.metafile.inputs).filter((input) => !resolve(root, input).startsWith(join(root, 'src/enrichment/')));
  if (outside.length > 0) {
    throw new Error(`the enrichment bundle must not import outside src/enrichment: ${outside.map((file) => relative(root, resolve(root, file))).join(', ')}`);
  }
  const code = readFileSync(modulePath);
  const zip = zipOneFile('index.mjs', code);
  const file = join(outDir, ENRICHMENT_ZIP.file);
  writeFileSync(file, zip);
  return { file, bytes: zip.length, module: modulePath };
}

/**
 * A minimal, deterministic zip (one deflated file, fixed 1980-01-01 timestamp, mode 0644), so the
 * same source gives the same bytes and Lambda's code hash only changes when the code does.
 */
export function zipOneFile(name: string, data: Buffer): Buffer {
  const nameBytes = Buffer.from(name, 'utf8');
  const compressed = deflateRawSync(data, { level: 9 });
  const crc = crc32(data);
  const dosTime = 0;
  const dosDate = (0 << 9) | (1 << 5) | 1; // 1980-01-01

  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4); // version needed: 2.0 (deflate)
  local.writeUInt16LE(0x0800, 6); // UTF-8 name
  local.writeUInt16LE(8, 8); // deflate
  local.writeUInt16LE(dosTime, 10);
  local.writeUInt16LE(dosDate, 12);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(compressed.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(nameBytes.length, 26);
  local.writeUInt16LE(0, 28);

  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, 2.0
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(0x0800, 8);
  central.writeUInt16LE(8, 10);
  central.writeUInt16LE(dosTime, 12);
  central.writeUInt16LE(dosDate, 14);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(compressed.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(nameBytes.length, 28);
  central.writeUInt16LE(0, 30); // extra
  central.writeUInt16LE(0, 32); // comment
  central.writeUInt16LE(0, 34); // disk
  central.writeUInt16LE(0, 36); // internal attributes
  central.writeUInt32LE((0o100644 << 16) >>> 0, 38); // regular file, rw-r--r--
  central.writeUInt32LE(0, 42); // local header offset

  const centralOffset = local.length + nameBytes.length + compressed.length;
  const centralSize = central.length + nameBytes.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(0, 4);
  end.writeUInt16LE(0, 6);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(centralOffset, 16);
  end.writeUInt16LE(0, 20);

  return Buffer.concat([local, nameBytes, compressed, central, nameBytes, end]);
}

// `tsx scripts/lib/build/enrichment.ts [outDir]` bundles on its own (default dist/).
if (import.meta.url === `file://${process.argv[1]}`) {
  const out = await bundleEnrichment(resolve(process.argv[2] ?? DIST_DIR_ABSOLUTE));
  process.stdout.write(`${relative(process.cwd(), out.file)} (${out.bytes} bytes)\n`);
}
