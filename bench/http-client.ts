// A lean keep-alive HTTP client for latency figures: node:http on one reused socket, so the numbers measure the
// server rather than the client library (fetch's own p99 on this machine is ~3 ms even for /healthz).
import http from 'node:http';

export class HttpClient {
  readonly #agent: http.Agent;
  readonly #base: URL;
  readonly #headers: Record<string, string>;

  constructor(base: string, token: string, sockets = 1) {
    this.#agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
    this.#base = new URL(base);
    this.#headers = { authorization: `Bearer ${token}` };
  }

  /** POSTs a JSON body; resolves with the status once the response is read. */
  post(path: string, body: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = http.request({
        host: this.#base.hostname, port: this.#base.port, path, method: 'POST', agent: this.#agent,
        headers: { ...this.#headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  /** GETs a path; once more on a socket the server closed while it was idle (a GET is safe to repeat). */
  async get(path: string): Promise<Buffer> {
    try {
      return await this.#get(path);
    } catch (error) {
      if ((error as { code?: string }).code !== 'ECONNRESET') throw error;
      return this.#get(path);
    }
  }

  #get(path: string): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      http.get({ host: this.#base.hostname, port: this.#base.port, path, agent: this.#agent, headers: this.#headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`GET ${path}: ${res.statusCode}`))));
      }).on('error', reject);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** Latencies of `rounds` rounds of page 1 of `path` and then the page its cursor points to (the same two each round). */
export async function pageLatencies(client: HttpClient, path: string, rounds: number): Promise<number[]> {
  const http: number[] = [];
  for (let i = 0; i < rounds; i++) {
    let t0 = performance.now();
    const body = await client.get(path);
    http.push(performance.now() - t0);
    // The client's own parsing is not Annals' latency: parsed after the clock stops.
    const page = JSON.parse(body.toString('utf8')) as { meta: { next: string | null } };
    if (page.meta.next) {
      t0 = performance.now();
      await client.get(`${path}&cursor=${encodeURIComponent(page.meta.next)}`);
      http.push(performance.now() - t0);
    }
  }
  return http;
}
