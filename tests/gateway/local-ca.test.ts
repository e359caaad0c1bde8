// The local CA: created once and kept; the server certificate is reissued only when it must be.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ensureLocalCertificates } from '../../src/gateway/tls/local-ca.ts';

test('first run creates a CA and a server certificate it signs; the next run keeps both', () => {
  const dir = mkdtempSync(join(tmpdir(), 'local-ca-'));
  try {
    const first = ensureLocalCertificates(dir);
    assert.deepEqual(first.created, { ca: true, server: true });
    const ca = new X509Certificate(first.ca);
    const server = new X509Certificate(first.cert);
    assert.equal(ca.ca, true);
    assert.equal(server.ca, false);
    assert.ok(server.verify(ca.publicKey), 'server certificate signed by the CA');
    assert.ok(server.checkHost('localhost'));
    assert.ok(server.checkIP('127.0.0.1'));
    assert.equal(server.checkHost('example.com'), undefined);
    const days = (Date.parse(server.validTo) - Date.now()) / 86_400_000;
    assert.ok(days > 300 && days <= 398, `server validity ${days} days`);
    assert.equal(statSync(join(dir, 'ca-key.pem')).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'server-key.pem')).mode & 0o777, 0o600);

    const second = ensureLocalCertificates(dir);
    assert.deepEqual(second.created, { ca: false, server: false });
    assert.equal(second.cert, first.cert);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a server certificate that lacks a host, is corrupt or is near expiry is reissued by the same CA', () => {
  const dir = mkdtempSync(join(tmpdir(), 'local-ca-'));
  try {
    const first = ensureLocalCertificates(dir, ['localhost']);
    const withHost = ensureLocalCertificates(dir, ['localhost', 'app.localhost']);
    assert.deepEqual(withHost.created, { ca: false, server: true });
    assert.ok(new X509Certificate(withHost.cert).checkHost('app.localhost'));
    assert.equal(withHost.ca, first.ca);

    writeFileSync(join(dir, 'server.pem'), 'garbage');
    assert.deepEqual(ensureLocalCertificates(dir, ['localhost']).created, { ca: false, server: true });

    const inAYear = new Date(Date.now() + 380 * 86_400_000);
    assert.deepEqual(ensureLocalCertificates(dir, ['localhost'], inAYear).created, { ca: false, server: true });
    assert.equal(readFileSync(join(dir, 'ca.pem'), 'utf8'), first.ca);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
