// A lean keep-alive HTTP client for latency figures: node:http on one reused socket, so the numbers measure the
// server rather than the client library (fetch's own p99 on this machine is ~3 ms even for /healthz).
import http from 'node:http';

export class HttpClient {
  readonly #agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  readonly #base: URL;
  readonly #headers: Record<string, string>;

  constructor(base: string, token: string) {
    this.#base = new URL(base);
    this.#headers = { authorization: `Bearer ${token}` };
  }

  get(path: string): Promise<Buffer> {
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
