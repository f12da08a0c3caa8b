import { createServer } from 'node:net';

// Ports handed out by this process recently: the OS may give the same ephemeral port twice once the
// probe socket is closed, and a topology asks for many ports before any server binds them.
const handedOut = new Set<number>();

function osFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('the OS returned no port'))));
    });
  });
}

/** A loopback TCP port the OS reports free right now (still racy: retry the bind on EADDRINUSE). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await osFreePort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      if (handedOut.size > 2000) handedOut.clear();
      return port;
    }
  }
  throw new Error('could not find a free loopback port after 50 attempts');
}
