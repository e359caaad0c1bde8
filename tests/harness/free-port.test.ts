import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, utimesSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { CLAIMS_DIR, freePort } from '../../src/harness/common/free-port.ts';

const ephemeralStart = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);

function listenOn(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

const closeServer = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

test('freePort: ports come from below the kernel ephemeral range, distinct across many concurrent draws', async () => {
  const ports = await Promise.all(Array.from({ length: 64 }, () => freePort()));
  assert.equal(new Set(ports).size, ports.length, `a port was handed out twice: ${ports.join(',')}`);
  for (const port of ports) assert.ok(port >= 10_000 && port < ephemeralStart, `${port} is outside 10000–${ephemeralStart - 1}`);
  // And each one can be bound right away.
  const servers = await Promise.all(ports.slice(0, 8).map(listenOn));
  await Promise.all(servers.map(closeServer));
});

test('freePort: a claimed port is not handed out again; a port someone listens on is refused even once its claim is old', async () => {
  // Every draw lands on one port (a fixed random()): the first gets it, the second finds it claimed.
  const seed = Math.random();
  const fixed = () => seed;
  const port = await freePort('127.0.0.1', fixed);
  await assert.rejects(freePort('127.0.0.1', fixed), /no free port in 10000–\d+ after 200 attempts/);

  // The owner binds it; an aged claim no longer protects it, but the bind check does.
  const server = await listenOn(port);
  const old = new Date(Date.now() - 10 * 60_000);
  utimesSync(join(CLAIMS_DIR, String(port)), old, old);
  try {
    await assert.rejects(freePort('127.0.0.1', fixed), /no free port/);
  } finally {
    await closeServer(server);
  }
  // Closed, with the claim aged again: it is free to be taken over.
  utimesSync(join(CLAIMS_DIR, String(port)), old, old);
  assert.equal(await freePort('127.0.0.1', fixed), port);
});
