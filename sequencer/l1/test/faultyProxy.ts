/**
 * A loopback JSON-RPC proxy that loses and delays requests on purpose, seeded so a failing
 * run can be repeated. Faults:
 * - drop before: the connection is cut before the request reaches the node (nothing happened);
 * - drop after: the node handled the request, the answer is cut (e.g. a transaction the node
 *   accepted while the client saw an error);
 * - delay: the answer waits a random time in [delayMinMs, delayMaxMs].
 * Each can target specific methods (`methods`), otherwise every request is eligible.
 */
import { type IncomingMessage, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface FaultRules {
  dropBeforeRate?: number;
  dropAfterRate?: number;
  delayMinMs?: number;
  delayMaxMs?: number;
  /** Only these methods suffer faults (default: all). */
  methods?: string[];
}

export interface FaultyProxy {
  url: string;
  rules: FaultRules;
  readonly counts: { requests: number; droppedBefore: number; droppedAfter: number; delayed: number; byMethod: Record<string, number> };
  close(): Promise<void>;
}

/** mulberry32: a small seeded PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function startFaultyProxy(target: string, rules: FaultRules = {}, seed = 1): Promise<FaultyProxy> {
  const rand = prng(seed);
  const counts = { requests: 0, droppedBefore: 0, droppedAfter: 0, delayed: 0, byMethod: {} as Record<string, number> };
  const proxy: { rules: FaultRules } = { rules };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const body = Buffer.concat(chunks);
      counts.requests++;
      let methods: string[] = [];
      try {
        const j = JSON.parse(body.toString()) as { method?: string } | { method?: string }[];
        methods = (Array.isArray(j) ? j : [j]).map((x) => String(x.method));
      } catch {
        // not JSON: forwarded as is
      }
      for (const m of methods) counts.byMethod[m] = (counts.byMethod[m] ?? 0) + 1;
      const r = proxy.rules;
      const eligible = !r.methods || methods.some((m) => r.methods!.includes(m));
      const cut = () => {
        req.socket.destroy();
      };
      if (eligible && rand() < (r.dropBeforeRate ?? 0)) {
        counts.droppedBefore++;
        return cut();
      }
      const delay = eligible && (r.delayMaxMs ?? 0) > 0 ? (r.delayMinMs ?? 0) + rand() * ((r.delayMaxMs ?? 0) - (r.delayMinMs ?? 0)) : 0;
      const dropAfter = eligible && rand() < (r.dropAfterRate ?? 0);
      try {
        const upstream = await fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body });
        const answer = Buffer.from(await upstream.arrayBuffer());
        if (delay > 0) {
          counts.delayed++;
          await new Promise((ok) => setTimeout(ok, delay));
        }
        if (dropAfter) {
          counts.droppedAfter++;
          return cut();
        }
        res.writeHead(upstream.status, { "content-type": "application/json" });
        res.end(answer);
      } catch {
        res.writeHead(502);
        res.end();
      }
    });
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get rules() {
      return proxy.rules;
    },
    set rules(r: FaultRules) {
      proxy.rules = r;
    },
    counts,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
