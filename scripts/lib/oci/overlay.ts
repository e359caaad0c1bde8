// Writes a pushed image's url and manifest digest into an overlay's settings (wasmUrl, wasmSha256),
// keeping the file's comments and layout.
import { readFileSync, writeFileSync } from 'node:fs';
import { parseDocument } from 'yaml';

export function updateOverlaySettings(settingsFile: string, values: { wasmUrl: string; wasmSha256: string }): void {
  if (!/^[a-f0-9]{64}$/.test(values.wasmSha256)) throw new Error(`wasmSha256 must be 64 hex digits, got ${values.wasmSha256}`);
  const document = parseDocument(readFileSync(settingsFile, 'utf8'));
  if (document.get('kind') !== 'ConfigMap' || !document.hasIn(['data', 'wasmUrl'])) {
    throw new Error(`${settingsFile} is not an overlay settings ConfigMap with data.wasmUrl`);
  }
  document.setIn(['data', 'wasmUrl'], values.wasmUrl);
  document.setIn(['data', 'wasmSha256'], values.wasmSha256);
  writeFileSync(settingsFile, document.toString({ lineWidth: 0 }));
}
