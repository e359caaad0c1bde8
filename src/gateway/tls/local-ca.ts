// The local CA for https://localhost: created on first run in the data folder and kept, so a person
// who trusts it once (see docs/local-stack.md) keeps trusting the gateway across restarts. The
// server certificate is reissued by the same CA when it is missing, near expiry or lacks a host.
import { generateKeyPairSync, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { issueCertificate, toPem } from './x509.ts';

const DAY = 24 * 60 * 60 * 1000;
const ORGANISATION = 'oneconnect-edge local development';
/** Browsers cap server certificates at 398 days; reissue when fewer than 30 remain. */
const SERVER_DAYS = 397;
const RENEW_BEFORE_DAYS = 30;
const CA_DAYS = 3650;

export interface LocalCertificates {
  /** PEM private key and certificate for the HTTPS listener. */
  key: string;
  cert: string;
  /** PEM of the CA certificate, for clients that should trust the gateway (tests, curl --cacert). */
  ca: string;
  caPath: string;
  /** What this call had to create, for progress output. */
  created: { ca: boolean; server: boolean };
}

export const DEFAULT_HOSTS = ['localhost', '127.0.0.1', '::1'];

function newKey(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

function writePrivate(path: string, pem: string): void {
  writeFileSync(path, pem, { mode: 0o600 });
  chmodSync(path, 0o600); // an existing file keeps its old mode on overwrite
}

function notBefore(now: Date): Date {
  // An hour in the past tolerates small clock differences between the machine and the browser.
  return new Date(now.getTime() - 60 * 60 * 1000);
}

function loadCa(dir: string, now: Date): { key: KeyObject; cert: X509Certificate; pem: string } | undefined {
  const certPath = join(dir, 'ca.pem');
  const keyPath = join(dir, 'ca-key.pem');
  if (!existsSync(certPath) || !existsSync(keyPath)) return undefined;
  const pem = readFileSync(certPath, 'utf8');
  const cert = new X509Certificate(pem);
  const key = createPrivateKey(readFileSync(keyPath, 'utf8'));
  if (new Date(cert.validTo).getTime() - now.getTime() < RENEW_BEFORE_DAYS * DAY) return undefined;
  if (!cert.checkPrivateKey(key)) throw new Error(`${keyPath} does not match ${certPath}; remove both to create a new local CA`);
  return { key, cert, pem };
}

function serverIsUsable(dir: string, ca: X509Certificate, hosts: string[], now: Date): boolean {
  const certPath = join(dir, 'server.pem');
  const keyPath = join(dir, 'server-key.pem');
  if (!existsSync(certPath) || !existsSync(keyPath)) return false;
  try {
    const cert = new X509Certificate(readFileSync(certPath, 'utf8'));
    if (!cert.verify(ca.publicKey)) return false;
    if (!cert.checkPrivateKey(createPrivateKey(readFileSync(keyPath, 'utf8')))) return false;
    if (new Date(cert.validTo).getTime() - now.getTime() < RENEW_BEFORE_DAYS * DAY) return false;
    return hosts.every((host) => (host.includes(':') || /^\d+\.\d+\.\d+\.\d+$/.test(host) ? cert.checkIP(host) : cert.checkHost(host)));
  } catch {
    return false; // unreadable or corrupt: reissue rather than fail the start
  }
}

/** Loads the CA and server certificate from `dir`, creating whatever is missing or stale. */
export function ensureLocalCertificates(dir: string, hosts: string[] = DEFAULT_HOSTS, now = new Date()): LocalCertificates {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const created = { ca: false, server: false };

  let ca = loadCa(dir, now);
  if (!ca) {
    const pair = newKey();
    const der = issueCertificate({
      kind: 'ca',
      commonName: 'oneconnect-edge local CA',
      organisation: ORGANISATION,
      publicKey: pair.publicKey,
      signingKey: pair.privateKey,
      notBefore: notBefore(now),
      notAfter: new Date(now.getTime() + CA_DAYS * DAY),
    });
    const pem = toPem(der);
    writePrivate(join(dir, 'ca-key.pem'), pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    writeFileSync(join(dir, 'ca.pem'), pem);
    ca = { key: pair.privateKey, cert: new X509Certificate(pem), pem };
    created.ca = true;
  }

  if (created.ca || !serverIsUsable(dir, ca.cert, hosts, now)) {
    const pair = newKey();
    const der = issueCertificate({
      kind: 'server',
      commonName: hosts[0] ?? 'localhost',
      organisation: ORGANISATION,
      publicKey: pair.publicKey,
      issuer: { commonName: 'oneconnect-edge local CA', organisation: ORGANISATION, publicKey: ca.cert.publicKey },
      signingKey: ca.key,
      notBefore: notBefore(now),
      notAfter: new Date(now.getTime() + SERVER_DAYS * DAY),
      hosts,
    });
    writePrivate(join(dir, 'server-key.pem'), pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    // The chain (server, then CA) so clients that only know the CA can build the path.
    writeFileSync(join(dir, 'server.pem'), toPem(der) + ca.pem);
    created.server = true;
  }

  return {
    key: readFileSync(join(dir, 'server-key.pem'), 'utf8'),
    cert: readFileSync(join(dir, 'server.pem'), 'utf8'),
    ca: ca.pem,
    caPath: join(dir, 'ca.pem'),
    created,
  };
}
