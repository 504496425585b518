import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Listen on `host:port` (port 0 = a free one) and resolve with the bound port; rejects on a bind error. */
export async function listenOn(server: Server, port: number | undefined, host: string): Promise<number> {
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}
