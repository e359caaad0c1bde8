// Issues X.509 v3 certificates with Node's crypto (ECDSA P-256, SHA-256): a local CA and a server
// certificate it signs. Only what a browser and Node's TLS need for https://localhost.
import { createHash, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import * as der from './der.ts';

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  organisation: '2.5.4.10',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
};

export interface CertificateRequest {
  /** The subject's common name. */
  commonName: string;
  organisation: string;
  /** The key being certified. */
  publicKey: KeyObject;
  /** Who signs: omitted for a self-signed CA (then `signingKey` is the subject's own key). */
  issuer?: { commonName: string; organisation: string; publicKey: KeyObject };
  signingKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  /** A CA certificate (may sign others) or a TLS server certificate for `hosts`. */
  kind: 'ca' | 'server';
  /** DNS names and IP addresses for the server certificate's subjectAltName. */
  hosts?: string[];
}

function name(commonName: string, organisation: string): Buffer {
  return der.sequence(
    der.set(der.sequence(der.oid(OID.organisation), der.utf8String(organisation))),
    der.set(der.sequence(der.oid(OID.commonName), der.utf8String(commonName))),
  );
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return der.sequence(der.oid(id), ...(critical ? [der.boolean(true)] : []), der.octetString(value));
}

/** RFC 5280 method 1: SHA-1 of the subjectPublicKey bits; lets clients link a certificate to its issuer. */
function keyIdentifier(publicKey: KeyObject): Buffer {
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  // For P-256 the SPKI ends with the 65-byte uncompressed point, which is the BIT STRING content.
  return createHash('sha1').update(spki.subarray(spki.length - 65)).digest();
}

function ipBytes(address: string): Buffer {
  if (isIP(address) === 4) return Buffer.from(address.split('.').map(Number));
  // IPv6: expand "::" then write eight 16-bit groups.
  const [head = '', tail = ''] = address.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = address.includes('::') ? (tail ? tail.split(':') : []) : [];
  const groups = [...headGroups, ...Array(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  return Buffer.from(groups.flatMap((group: string) => [parseInt(group, 16) >> 8, parseInt(group, 16) & 0xff]));
}

function subjectAltName(hosts: string[]): Buffer {
  return der.sequence(
    ...hosts.map((host) => (isIP(host) ? der.tlv(0x87, ipBytes(host)) : der.tlv(0x82, Buffer.from(host, 'ascii')))),
  );
}

/** A DER-encoded certificate; wrap it with `toPem`. */
export function issueCertificate(request: CertificateRequest): Buffer {
  const issuer = request.issuer ?? {
    commonName: request.commonName,
    organisation: request.organisation,
    publicKey: request.publicKey,
  };
  // Positive 127-bit serial: random so that a regenerated certificate never collides with an old one.
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  const algorithm = der.sequence(der.oid(OID.ecdsaWithSha256));

  const extensions: Buffer[] = [
    extension(OID.subjectKeyIdentifier, false, der.octetString(keyIdentifier(request.publicKey))),
    extension(OID.authorityKeyIdentifier, false, der.sequence(der.tlv(0x80, keyIdentifier(issuer.publicKey)))),
  ];
  if (request.kind === 'ca') {
    extensions.push(
      extension(OID.basicConstraints, true, der.sequence(der.boolean(true), der.integer(0))),
      // keyCertSign (bit 5) + cRLSign (bit 6)
      extension(OID.keyUsage, true, der.namedBits(0x06)),
    );
  } else {
    if (!request.hosts?.length) throw new Error('a server certificate needs at least one host name');
    extensions.push(
      extension(OID.basicConstraints, true, der.sequence()),
      // digitalSignature (bit 0): what ECDHE-ECDSA handshakes use
      extension(OID.keyUsage, true, der.namedBits(0x80)),
      extension(OID.extKeyUsage, false, der.sequence(der.oid(OID.serverAuth))),
      extension(OID.subjectAltName, false, subjectAltName(request.hosts)),
    );
  }

  const tbs = der.sequence(
    der.explicit(0, der.integer(2)), // v3
    der.integer(serial),
    algorithm,
    name(issuer.commonName, issuer.organisation),
    der.sequence(der.time(request.notBefore), der.time(request.notAfter)),
    name(request.commonName, request.organisation),
    request.publicKey.export({ type: 'spki', format: 'der' }),
    der.explicit(3, der.sequence(...extensions)),
  );
  const signature = sign('sha256', tbs, request.signingKey); // DER ECDSA-Sig-Value, as X.509 wants
  return der.sequence(tbs, algorithm, der.bitString(signature));
}

export function toPem(certificate: Buffer): string {
  const lines = certificate.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}
