// The Kubernetes Secret that carries the signing keys into the cluster. Two readers, two shapes:
// the waypoint copies ORG_COOKIE_SECRETS into its environment (the WasmPlugin reads it with
// valueFrom: HOST) and the filter wants a JSON array, current first; the organisation backend
// (Express cookie-parser) signs with ORG_COOKIE_SECRET and verifies with the array.
import { stringify } from 'yaml';

export const COOKIE_SECRET_NAME = 'org-cookie-secrets';
/** The key the waypoint and the filter read: a JSON array, current secret first. */
export const SECRETS_ARRAY_KEY = 'ORG_COOKIE_SECRETS';
/** The key a signer that takes one secret reads: the current one. */
export const CURRENT_SECRET_KEY = 'ORG_COOKIE_SECRET';

export interface SecretManifestOptions {
  namespace: string;
  name?: string;
}

/** The Secret object (data base64-encoded as the API server stores it). */
export function secretManifest(secrets: readonly string[], options: SecretManifestOptions): Record<string, unknown> {
  if (secrets.length === 0) throw new Error('no secrets to render');
  const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: options.name ?? COOKIE_SECRET_NAME,
      namespace: options.namespace,
      labels: { 'app.kubernetes.io/part-of': 'oneconnect-edge', 'app.kubernetes.io/component': 'org-cookie-keys' },
    },
    type: 'Opaque',
    data: {
      [SECRETS_ARRAY_KEY]: b64(JSON.stringify(secrets)),
      [CURRENT_SECRET_KEY]: b64(secrets[0] as string),
    },
  };
}

export function secretManifestYaml(secrets: readonly string[], options: SecretManifestOptions): string {
  return stringify(secretManifest(secrets, options));
}
