/**
 * The gateway's connection to the sequencer: plain HTTP/1.1 over a keep-alive agent (a
 * gateway forwards thousands of small requests a second; a TCP handshake each would cost
 * more than the request). Answers come back as bytes, never re-encoded.
 */
import http from "node:http";

/** The sequencer gave no answer: refused, reset, closed or too slow. */
export class UpstreamUnavailable extends Error {
  constructor(
    message: string,
    /** True when the request may have reached the sequencer (sent, then no answer). */
    readonly mayHaveArrived: boolean,
  ) {
    super(message);
  }
}

export interface UpstreamAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) and the ones Node recomputes; never relayed. */
const HOP = new Set(["connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authenticate", "proxy-authorization", "content-length"]);

export function relayableHeaders(h: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined && !HOP.has(k)) out[k] = Array.isArray(v) ? v.join(", ") : v;
  return out;
}

export class Upstream {
  readonly agent: http.Agent;
  readonly host: string;
  readonly port: number;

  constructor(
    readonly base: URL,
    readonly timeoutMs: number,
  ) {
    this.host = base.hostname.replace(/^\[(.*)\]$/, "$1");
    this.port = Number(base.port || 80);
    // NOTE: idle sockets are dropped after 30 s, before the sequencer's 65 s keepAliveTimeout,
    // so the gateway never writes a request into a socket the sequencer is closing.
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, timeout: 30_000 });
  }

  /**
   * One request to the sequencer. A GET that fails on a reused idle socket is sent once more
   * on a fresh one (the sequencer closed that socket; nothing was processed, and a GET is
   * safe to repeat anyway); a POST is never repeated: the caller tells the client.
   */
  async request(method: string, path: string, headers: Record<string, string>, body?: Uint8Array): Promise<UpstreamAnswer> {
    try {
      return await this.once(method, path, headers, body);
    } catch (e) {
      if (e instanceof RetryOnFreshSocket && (method === "GET" || method === "HEAD")) return this.once(method, path, headers, body);
      throw e instanceof RetryOnFreshSocket ? e.cause : e;
    }
  }

  private once(method: string, path: string, headers: Record<string, string>, body?: Uint8Array): Promise<UpstreamAnswer> {
    return new Promise((resolve, reject) => {
      const req = http.request({ host: this.host, port: this.port, method, path, headers: body ? { ...headers, "content-length": String(body.length) } : headers, agent: this.agent });
      let sent = false;
      const fail = (why: string, code?: string) => {
        const err = new UpstreamUnavailable(`the sequencer at ${this.base.origin} ${why}`, sent && code !== "ECONNREFUSED");
        reject(req.reusedSocket && (code === "ECONNRESET" || code === "EPIPE") ? new RetryOnFreshSocket(err) : err);
      };
      req.setTimeout(this.timeoutMs, () => {
        req.destroy(new TimeoutError());
      });
      req.on("error", (e: NodeJS.ErrnoException) => {
        if (e instanceof TimeoutError) fail(`did not answer within ${this.timeoutMs} ms`, "ETIMEDOUT");
        else fail(`is unreachable (${e.code ?? e.message})`, e.code);
      });
      req.on("finish", () => (sent = true));
      req.on("response", (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 502, headers: relayableHeaders(res.headers), body: Buffer.concat(chunks) }));
        res.on("error", (e: NodeJS.ErrnoException) => fail(`broke off its answer (${e.code ?? e.message})`, e.code));
        res.on("aborted", () => fail("broke off its answer", "ECONNRESET"));
      });
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

class TimeoutError extends Error {}

class RetryOnFreshSocket extends Error {
  constructor(override readonly cause: UpstreamUnavailable) {
    super(cause.message);
  }
}
