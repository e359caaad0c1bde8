// What a mode hands the server: a request handler, and — for a mode that proxies — an upgrade
// handler (WebSocket and other HTTP/1.1 upgrades).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

export interface ModeHandlers {
  request(req: IncomingMessage, res: ServerResponse): void;
  upgrade?(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  close?(): void;
}
