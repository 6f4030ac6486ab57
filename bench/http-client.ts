// A lean keep-alive HTTP/1.1 client for the HTTP figures: requests written straight onto reused TCP sockets and
// responses read off them (Content-Length or chunked), so the numbers measure the server rather than a client
// library. On the project's 2-core VM, a bare node:http server answers this client with a p50 / p99 of about
// 0.1 / 0.5 ms, and node:http's own client (keep-alive agent) with about 0.4 / 3 ms; fetch is slower still.
import net from 'node:net';
import { timed } from './timing.js';

interface Response { status: number; body: Buffer }

const HEAD_END = Buffer.from('\r\n\r\n');

/** One socket, one request at a time (`head` is the request line and headers, blank line included). */
export class Connection {
  readonly #socket: net.Socket;
  /** What has arrived of the current response, unjoined: a page comes in several chunks. */
  #chunks: Buffer[] = [];
  #received = 0;
  /** Bytes the current response takes, once its head says (Content-Length); until then, 0. */
  #expected = 0;
  #waiting?: { resolve: (r: Response) => void; reject: (e: Error) => void };
  #closed = false;
  readonly ready: Promise<void>;

  constructor(host: string, port: number) {
    this.#socket = net.connect(port, host);
    this.#socket.setNoDelay(true);
    this.ready = new Promise((resolve, reject) => {
      this.#socket.once('connect', resolve);
      this.#socket.once('error', reject);
    });
    this.ready.catch(() => {});
    this.#socket.on('data', (chunk: Buffer) => {
      this.#chunks.push(chunk);
      this.#received += chunk.length;
      // Joined and parsed only once all of a response whose length is known has arrived.
      if (this.#expected === 0 || this.#received >= this.#expected) this.#parse();
    });
    const end = (error: Error) => {
      this.#closed = true;
      this.#waiting?.reject(Object.assign(error, { code: (error as { code?: string }).code ?? 'ECONNRESET' }));
      this.#waiting = undefined;
    };
    this.#socket.on('error', end);
    this.#socket.on('close', () => end(new Error('the server closed the connection')));
  }

  get usable(): boolean {
    return !this.#closed;
  }

  request(head: string, body?: Buffer): Promise<Response> {
    return new Promise((resolve, reject) => {
      if (this.#closed) return reject(Object.assign(new Error('connection closed'), { code: 'ECONNRESET' }));
      this.#waiting = { resolve, reject };
      this.#socket.write(body ? Buffer.concat([Buffer.from(head), body]) : head);
    });
  }

  /** Hands over the response once all of it has arrived. */
  #parse(): void {
    const data = this.#chunks.length === 1 ? this.#chunks[0] : Buffer.concat(this.#chunks);
    this.#chunks = [data];
    const headEnd = data.indexOf(HEAD_END);
    if (headEnd < 0 || !this.#waiting) return;
    const head = data.toString('latin1', 0, headEnd);
    const status = Number(head.slice(9, 12));
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    let at = headEnd + 4;
    let body: Buffer;
    if (length) {
      const n = Number(length[1]);
      this.#expected = at + n;
      if (data.length < at + n) return;
      body = data.subarray(at, at + n);
      at += n;
    } else if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = data.indexOf('\r\n', at);
        if (lineEnd < 0) return;
        const size = Number.parseInt(data.toString('latin1', at, lineEnd), 16);
        if (data.length < lineEnd + 2 + size + 2) return;
        parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
        at = lineEnd + 2 + size + 2;
        if (size === 0) break;
      }
      body = Buffer.concat(parts);
    } else {
      body = Buffer.alloc(0);
    }
    const rest = data.subarray(at);
    this.#chunks = rest.length > 0 ? [rest] : [];
    this.#received = rest.length;
    this.#expected = 0;
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting.resolve({ status, body });
  }

  close(): void {
    this.#socket.destroy();
  }
}

export class HttpClient {
  readonly #host: string;
  readonly #port: number;
  readonly #headers: string;
  readonly #sockets: number;
  readonly #idle: Connection[] = [];
  readonly #queue: ((c: Connection) => void)[] = [];
  #open = 0;

  constructor(base: string, token: string, sockets = 1) {
    const url = new URL(base);
    this.#host = url.hostname;
    this.#port = Number(url.port);
    this.#headers = `Host: ${url.host}\r\nAuthorization: Bearer ${token}\r\n`;
    this.#sockets = sockets;
  }

  /** POSTs a JSON body; resolves with the status once the response is read. */
  async post(path: string, body: string): Promise<number> {
    const bytes = Buffer.from(body);
    const head = `POST ${path} HTTP/1.1\r\n${this.#headers}Content-Type: application/json\r\nContent-Length: ${bytes.length}\r\n\r\n`;
    return (await this.#send(head, bytes)).status;
  }

  /** GETs a path; once more on a socket the server closed while it was idle (a GET is safe to repeat). */
  async get(path: string): Promise<Buffer> {
    const head = `GET ${path} HTTP/1.1\r\n${this.#headers}\r\n`;
    let res: Response;
    try {
      res = await this.#send(head);
    } catch (error) {
      if ((error as { code?: string }).code !== 'ECONNRESET') throw error;
      res = await this.#send(head);
    }
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status}`);
    return res.body;
  }

  async #send(head: string, body?: Buffer): Promise<Response> {
    const connection = await this.#take();
    try {
      return await connection.request(head, body);
    } finally {
      this.#give(connection);
    }
  }

  async #take(): Promise<Connection> {
    for (let c = this.#idle.pop(); c; c = this.#idle.pop()) {
      if (c.usable) return c;
      this.#open--;
    }
    if (this.#open < this.#sockets) {
      this.#open++;
      const c = new Connection(this.#host, this.#port);
      try {
        await c.ready;
      } catch (error) {
        this.#open--;
        throw error;
      }
      return c;
    }
    return new Promise((resolve) => this.#queue.push(resolve));
  }

  #give(connection: Connection): void {
    if (!connection.usable) {
      connection.close();
      this.#open--;
      const next = this.#queue.shift();
      if (next) this.#take().then(next, () => {});
      return;
    }
    const next = this.#queue.shift();
    if (next) next(connection);
    else this.#idle.push(connection);
  }

  close(): void {
    for (const c of this.#idle) c.close();
    this.#idle.length = 0;
  }
}

/** Latencies of `rounds` rounds of page 1 of `path` and then the page its cursor points to (the same two each round). */
export async function pageLatencies(client: HttpClient, path: string, rounds: number): Promise<number[]> {
  const http: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const next = nextCursor(await timed(() => client.get(path), http));
    if (next) await timed(() => client.get(`${path}&cursor=${encodeURIComponent(next)}`), http);
  }
  return http;
}

const META_NEXT = Buffer.from(',"meta":{"next":');

/**
 * A page's meta.next, read from the end of its body without parsing the events: the client shares the server's two
 * cores, and parsing (and collecting) every page it is sent showed up in the server's p99.
 */
export function nextCursor(body: Buffer): string | null {
  const at = body.lastIndexOf(META_NEXT);
  if (at < 0) throw new Error('not a page: no meta.next');
  const start = at + META_NEXT.length;
  if (body[start] !== 0x22) return null;
  return JSON.parse(body.toString('utf8', start, body.indexOf(0x22, start + 1) + 1)) as string;
}
