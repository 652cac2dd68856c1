// A loopback port free at the time of asking, for servers whose conf must name their port up front
// (Dovecot, Postfix, and Tessera's shared listeners with several processes).
import { createServer, type AddressInfo } from 'node:net';

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise((resolve) => s.close(resolve));
  return port;
}
