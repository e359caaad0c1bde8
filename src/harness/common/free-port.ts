// A port for a server that must be named before it starts: a gateway listener the stack's URLs point
// at, a waypoint port written into the gateway's clusters, a redis-server's --port. Port 0 cannot
// serve there.
//
// The usual trick (bind port 0, read the port, close) hands back a port from the kernel's ephemeral
// range, which the kernel may give to anyone's next port-0 bind or outgoing connection before the
// server binds it: in CI an Envoy's admin (port 0) took the port picked for its own listener. So the
// port is drawn from below the ephemeral range, where the kernel never assigns one by itself, and is
// claimed with a file made exclusively (O_EXCL), so two processes of one test run never draw the same
// port either. A claim only has to last from the draw to the bind; after that the bind check refuses
// the port anyway, so claims older than CLAIM_TTL_MS are taken over.
import { closeSync, mkdirSync, openSync, readFileSync, statSync, utimesSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LOWEST = 10_000;
/** Linux's default ip_local_port_range starts here. */
const DEFAULT_EPHEMERAL_START = 32_768;
const CLAIM_TTL_MS = 120_000;
const ATTEMPTS = 200;
/** Exported for the test that ages a claim. */
export const CLAIMS_DIR = join(tmpdir(), 'oc-edge-port-claims');

function ephemeralStart(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 0 ? low : DEFAULT_EPHEMERAL_START;
  } catch {
    return DEFAULT_EPHEMERAL_START;
  }
}

/** True when this process now holds the claim on `port`. */
function claim(port: number): boolean {
  const file = join(CLAIMS_DIR, String(port));
  try {
    closeSync(openSync(file, 'wx'));
    return true;
  } catch {
    // Someone's claim: take it over only once it has outlived any draw-to-bind window.
    try {
      if (Date.now() - statSync(file).mtimeMs < CLAIM_TTL_MS) return false;
      const now = new Date();
      utimesSync(file, now, now);
      return true;
    } catch {
      return false;
    }
  }
}

function bindable(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * A port on `host` that nothing listens on now and that no other caller of this function is handed.
 * `random` is injectable so a test can make every draw land on one port.
 */
export async function freePort(host = '127.0.0.1', random: () => number = Math.random): Promise<number> {
  const highest = ephemeralStart() - 1;
  if (highest < LOWEST) throw new Error(`no port range below the kernel's ephemeral ports (they start at ${highest + 1}): set net.ipv4.ip_local_port_range higher`);
  mkdirSync(CLAIMS_DIR, { recursive: true });
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const port = LOWEST + Math.floor(random() * (highest - LOWEST + 1));
    if (claim(port) && (await bindable(port, host))) return port;
  }
  throw new Error(`no free port in ${LOWEST}–${highest} after ${ATTEMPTS} attempts`);
}
