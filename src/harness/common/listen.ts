// Starts an Express app on 127.0.0.1 and hands back its URL and a close that ends kept-alive sockets.
import type { Express } from 'express';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';

export interface RunningService {
  url: string;
  port: number;
  close(): Promise<void>;
}

export function listenApp(app: Express, port: number, host = '127.0.0.1'): Promise<RunningService> {
  return new Promise((resolve, reject) => {
    const server: Server = app.listen(port, host);
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      const actual = (server.address() as AddressInfo).port;
      resolve({
        url: `http://${host}:${actual}`,
        port: actual,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
