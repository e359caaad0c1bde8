// One access-log line per request, like Envoy's: enough to follow a request across services by its
// id, never the query string (OAuth callbacks carry codes and state there) or any header value.
import type { Logger } from 'pino';

export interface AccessLogEntry {
  listener: string;
  method: string;
  path: string;
  status: number;
  route: string | undefined;
  upstream: string | undefined;
  durationMs: number;
  requestId: string;
  /** Envoy-style response flag: NR no route, UAEX denied by ext_authz/jwt, UAEF auth failed, UF/UT/UC upstream failure. */
  flag: string | undefined;
}

export function pathWithoutQuery(path: string): string {
  const cut = path.search(/[?#]/);
  return cut === -1 ? path : path.slice(0, cut);
}

export function writeAccessLog(logger: Logger, entry: AccessLogEntry): void {
  logger.info(
    {
      access: true,
      listener: entry.listener,
      method: entry.method,
      path: pathWithoutQuery(entry.path),
      status: entry.status,
      route: entry.route ?? '-',
      upstream: entry.upstream ?? '-',
      durationMs: Math.round(entry.durationMs * 10) / 10,
      requestId: entry.requestId,
      flag: entry.flag ?? '-',
    },
    `${entry.method} ${pathWithoutQuery(entry.path)} ${entry.status}`,
  );
}
