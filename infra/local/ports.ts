import { createServer } from 'node:net';

/**
 * Asks the OS for a free TCP port on the loopback interface (listen on port 0, read it back, close).
 * Another process can still take the port between this call and its use; callers that spawn a server on it
 * should treat "address in use" as a retryable start failure.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return await new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('freePort: could not read the bound port'));
        return;
      }
      const { port } = address;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}
