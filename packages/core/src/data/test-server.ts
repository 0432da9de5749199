/**
 * Test helper (not exported from the package): a loopback HTTP server on 127.0.0.1 with an ephemeral port that
 * serves fixed routes and counts requests.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A route: a body (200) or an explicit status with optional headers/body. */
export type Route =
  | Uint8Array
  | {
      status: number;
      headers?: Record<string, string>;
      body?: Uint8Array /** write body, then drop the socket */;
      cut?: boolean;
    };

export interface TestServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Requests per path. */
  hits: Map<string, number>;
  /** Total requests. */
  total(): number;
  close(): Promise<void>;
}

/** Starts the server; unknown paths answer 404. */
export async function startTestServer(routes: Record<string, Route>): Promise<TestServer> {
  const hits = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const r = routes[path];
    if (!r) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    if (r instanceof Uint8Array) {
      res.writeHead(200, { 'content-length': String(r.length), 'content-type': 'application/octet-stream' });
      res.end(Buffer.from(r));
      return;
    }
    res.writeHead(r.status, r.headers ?? {});
    if (r.cut) {
      res.write(Buffer.from(r.body ?? new Uint8Array(0)), () => res.socket?.destroy());
      return;
    }
    res.end(r.body ? Buffer.from(r.body) : undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    total: () => [...hits.values()].reduce((a, b) => a + b, 0),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
