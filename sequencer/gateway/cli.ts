/**
 * `crossmargin gateway --upstream <url>`: a stateless HTTP + WebSocket front of the
 * sequencer (gateway.ts). Every option is validated before anything listens; all problems
 * are printed together (exit 2).
 */
import { parseArgs } from "node:util";
import { CONFIG_DEFAULTS } from "../config.js";
import { GATEWAY_DEFAULTS, type GatewayOptions, type RunningGateway, startGateway } from "./gateway.js";

export const GATEWAY_USAGE = `usage: crossmargin gateway --upstream <url> [options]

A stateless front of one sequencer: checks every request as the sequencer would (size, JSON,
operation schema, parameters, signatures) and answers bad ones itself, rate-limits, and
forwards the rest; proxies the /v1/stream WebSocket. Run as many as needed (docs/distributed.md).

  --upstream <url>            the sequencer's base URL on loopback (http://127.0.0.1:<port>)   required
  --port <n>                  HTTP port (0 = any free port)                    default ${GATEWAY_DEFAULTS.port}
  --host <addr>               loopback address to bind                         default ${GATEWAY_DEFAULTS.host}
  --max-body-bytes <n>        request body limit (keep it the sequencer's)     default ${CONFIG_DEFAULTS.maxBodyBytes}
  --rate-limit <n>            ops/s per signing key (0 = unlimited)            default ${CONFIG_DEFAULTS.rateLimit}
  --rate-burst <n>            burst per signing key                            default ${CONFIG_DEFAULTS.rateBurst}
  --client-rate-limit <n>     requests/s per client address (0 = unlimited)    default ${GATEWAY_DEFAULTS.clientRateLimit}
  --client-rate-burst <n>     burst per client address                         default ${GATEWAY_DEFAULTS.clientRateBurst}
  --signature-workers <n>     signature recovery threads                       default ${GATEWAY_DEFAULTS.signatureWorkers}
  --upstream-timeout-ms <n>   no answer from the sequencer within this: 503 UPSTREAM_UNAVAILABLE   default ${GATEWAY_DEFAULTS.upstreamTimeoutMs}
  --retry-after-s <n>         Retry-After sent with UPSTREAM_UNAVAILABLE       default ${GATEWAY_DEFAULTS.retryAfterS}`;

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "::1"]);
const LOOPBACK_URL_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** Parses and validates; returns "help", the options, or the list of problems. */
export function parseGatewayCli(argv: string[]): GatewayOptions | "help" | string[] {
  let v: Record<string, string | boolean | undefined>;
  const names = ["upstream", "port", "host", "max-body-bytes", "rate-limit", "rate-burst", "client-rate-limit", "client-rate-burst", "signature-workers", "upstream-timeout-ms", "retry-after-s"];
  try {
    v = parseArgs({ args: argv, strict: true, options: { ...Object.fromEntries(names.map((n) => [n, { type: "string" as const }])), help: { type: "boolean" } } }).values;
  } catch (e) {
    return [(e as Error).message];
  }
  if (v.help) return "help";
  const p: string[] = [];
  const str = (k: string) => (typeof v[k] === "string" ? (v[k] as string) : undefined);
  const int = (k: string, min: number, max: number, dflt: number) => {
    const s = str(k);
    if (s === undefined) return dflt;
    if (!/^\d+$/.test(s) || Number(s) < min || Number(s) > max) p.push(`--${k}: ${JSON.stringify(s)} is not an integer in ${min}..${max}`);
    return Number(s);
  };
  const num = (k: string, dflt: number) => {
    const s = str(k);
    if (s === undefined) return dflt;
    if (!/^\d+(\.\d+)?$/.test(s) || !Number.isFinite(Number(s))) p.push(`--${k}: ${JSON.stringify(s)} is not a non-negative number`);
    return Number(s);
  };
  const upstream = str("upstream");
  if (upstream === undefined) p.push("--upstream: required (the sequencer's URL, http://127.0.0.1:<port>)");
  else {
    let ok = false;
    try {
      const u = new URL(upstream);
      ok = u.protocol === "http:" && LOOPBACK_URL_HOSTS.has(u.hostname) && u.port !== "" && /^http:\/\/[^/?#]+\/?$/.test(upstream);
    } catch {}
    if (!ok) p.push(`--upstream: ${JSON.stringify(upstream)} is not http://<loopback host>:<port> without a path (the sequencer's base URL, e.g. http://127.0.0.1:9545)`);
  }
  const host = str("host") ?? GATEWAY_DEFAULTS.host;
  if (!LOOPBACK_HOSTS.has(host)) p.push(`--host: ${JSON.stringify(host)} is not a loopback address (127.0.0.1, ::1, localhost)`);
  const port = int("port", 0, 65535, GATEWAY_DEFAULTS.port);
  // The sequencer's own bounds (config.ts), so a gateway never admits what its sequencer refuses.
  const maxBodyBytes = int("max-body-bytes", 1024, 16 * 1024 * 1024, CONFIG_DEFAULTS.maxBodyBytes);
  const rateLimit = num("rate-limit", CONFIG_DEFAULTS.rateLimit);
  const rateBurst = int("rate-burst", 1, 1_000_000, CONFIG_DEFAULTS.rateBurst);
  const clientRateLimit = num("client-rate-limit", GATEWAY_DEFAULTS.clientRateLimit);
  const clientRateBurst = int("client-rate-burst", 1, 1_000_000, GATEWAY_DEFAULTS.clientRateBurst);
  const signatureWorkers = int("signature-workers", 1, 64, GATEWAY_DEFAULTS.signatureWorkers);
  const upstreamTimeoutMs = int("upstream-timeout-ms", 100, 600_000, GATEWAY_DEFAULTS.upstreamTimeoutMs);
  const retryAfterS = int("retry-after-s", 1, 3600, GATEWAY_DEFAULTS.retryAfterS);
  if (p.length > 0) return p;
  return {
    upstream: upstream!.replace(/\/+$/, ""),
    host,
    port,
    maxBodyBytes,
    rateLimit,
    rateBurst,
    clientRateLimit,
    clientRateBurst,
    signatureWorkers,
    upstreamTimeoutMs,
    retryAfterS,
  };
}

export async function gatewayMain(argv: string[]): Promise<void> {
  const o = parseGatewayCli(argv);
  if (o === "help") {
    console.log(GATEWAY_USAGE);
    return;
  }
  if (Array.isArray(o)) {
    console.error(`crossmargin gateway: invalid options\n  ${o.join("\n  ")}\n\nrun with --help for the options`);
    process.exit(2);
  }
  let g: RunningGateway;
  try {
    g = await startGateway(o);
  } catch (e) {
    console.error(`crossmargin gateway: cannot start: ${(e as Error).message}`);
    process.exit(1);
  }
  console.log(JSON.stringify({ event: "started", url: g.url, upstream: o.upstream, options: { ...o, upstream: undefined } }));
  const stop = async (signal: string) => {
    console.log(JSON.stringify({ event: "stopping", signal, stats: g.stats }));
    await g.close();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop("SIGINT"));
  process.once("SIGTERM", () => void stop("SIGTERM"));
}
