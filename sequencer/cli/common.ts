/**
 * What the operator commands share: option parsing that reports every bad value with its
 * option, one error type carrying a code, the field and what to do, output as text or
 * `--json` (bigints as decimal strings, so scripts never lose precision), a read-only SDK
 * client for the sequencer's API, and a progress bar for long work.
 */
import { parseArgs } from "node:util";
import { type Address, type Hex, isAddress } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { type CrossmarginClient, createCrossmarginClient } from "../../sdk/index.js";
import { CrossmarginApiError, CrossmarginNetworkError, CrossmarginResponseError } from "../../sdk/errors.js";
import { ShapeError } from "../../sdk/types.js";
import { CONFIG_DEFAULTS } from "../config.js";

/** Where a command writes: stdout for results, stderr for errors and progress. Tests pass buffers. */
export interface CliIO {
  out(s: string): void;
  err(s: string): void;
  /** stderr is a terminal: progress redraws one line. */
  errIsTTY?: boolean;
}

export const processIO: CliIO = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
  errIsTTY: process.stderr.isTTY === true,
};

/**
 * A failure the operator can act on. `exit` 2: the command line is wrong (fix it and rerun);
 * 1: the command ran and failed (the message says why and what to do).
 */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly field: string | null = null,
    readonly exit: 1 | 2 = 1,
    /** The command already wrote its one --json object (with this error in it). */
    readonly jsonWritten = false,
  ) {
    super(message);
  }
}

export const usageError = (field: string, message: string) => new CliError("INVALID_OPTION", `${field}: ${message}`, field, 2);

/** JSON with bigints as decimal strings. */
export function toJsonText(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x), 2);
}

export type OptionSpec = Record<string, { type: "string" | "boolean"; short?: string }>;

/** Strict parse: unknown options and missing values are usage errors naming the option. */
export function parseCommand(args: string[], options: OptionSpec): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const r = parseArgs({ args, options: { ...options, json: { type: "boolean" }, help: { type: "boolean" } }, strict: true, allowPositionals: true });
    return { values: r.values as Record<string, string | boolean | undefined>, positionals: r.positionals };
  } catch (e) {
    // Node's messages name the option ("Unknown option '--x'"); keep them, add the way out.
    throw new CliError("INVALID_OPTION", (e as Error).message, null, 2);
  }
}

export function intOption(name: string, raw: string | boolean | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== "string" || !/^[0-9]+$/.test(raw) || Number(raw) < min || Number(raw) > max) throw usageError(`--${name}`, `"${String(raw)}" is not an integer in ${min}..${max}`);
  return Number(raw);
}

export function urlOption(name: string, raw: string | boolean | undefined, fallback: string): string {
  const v = typeof raw === "string" ? raw : fallback;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw usageError(`--${name}`, `"${v}" is not a URL (e.g. http://127.0.0.1:${CONFIG_DEFAULTS.port})`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw usageError(`--${name}`, `"${v}" is not an http(s) URL`);
  return v.replace(/\/+$/, "");
}

export function addressOption(name: string, raw: string | boolean | undefined): Address | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== "string" || !isAddress(raw, { strict: false })) throw usageError(`--${name}`, `"${String(raw)}" is not an address (0x and 40 hex digits)`);
  return raw.toLowerCase() as Address;
}

export function keyOption(name: string, raw: string | undefined, env: string): Hex | undefined {
  if (raw === undefined) return undefined;
  if (!/^0x[0-9a-fA-F]{64}$/.test(raw)) throw usageError(name, `not a private key (0x and 64 hex digits); pass it with --key or ${env}`);
  return raw as Hex;
}

/** The sequencer API's URL: --url, else CROSSMARGIN_URL, else the CLI's default port on loopback. */
export function sequencerUrl(raw: string | boolean | undefined): string {
  return urlOption("url", raw ?? process.env.CROSSMARGIN_URL, `http://127.0.0.1:${CONFIG_DEFAULTS.port}`);
}

/**
 * The SDK client for reads. The SDK's client is built around a signer; these commands never
 * sign, so it gets a throwaway key (never used, never printed). The SDK validates every
 * answer's shape, which is why the commands read through it rather than with raw fetch.
 */
export function readClient(url: string): CrossmarginClient {
  return createCrossmarginClient({ url, account: privateKeyToAccount(generatePrivateKey()), timeoutMs: 15_000 });
}

/** SDK failures as operator errors: the API's own code and field, or how to reach it. */
export function apiFailure(e: unknown, url: string): never {
  if (e instanceof CrossmarginApiError) throw new CliError(e.code, `the sequencer answered ${e.status} ${e.code}: ${e.message}`, e.field ?? null);
  if (e instanceof CrossmarginNetworkError) throw new CliError("SEQUENCER_UNREACHABLE", `cannot reach the sequencer at ${url} (${e.message}); is it running? pass its API with --url or CROSSMARGIN_URL`);
  if (e instanceof CrossmarginResponseError || e instanceof ShapeError) throw new CliError("BAD_RESPONSE", `the sequencer at ${url} answered something that is not its API (${e.message}); check --url`);
  throw e;
}

/** Runs `f` through the SDK, mapping its failures. */
export async function api<T>(url: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    return apiFailure(e, url);
  }
}

/** `units` atoms with `decimals` decimals, trailing zeros dropped ("1234.5"). */
export function formatUnits(units: bigint, decimals: number): string {
  const neg = units < 0n;
  const a = neg ? -units : units;
  const s = a.toString().padStart(decimals + 1, "0");
  const whole = decimals === 0 ? s : s.slice(0, -decimals);
  const frac = decimals === 0 ? "" : s.slice(-decimals).replace(/0+$/, "");
  return `${neg ? "-" : ""}${whole}${frac ? `.${frac}` : ""}`;
}

/** Left-aligned columns. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd()).join("\n");
}

/**
 * A progress bar on stderr for long work: redrawn in place on a terminal, otherwise one plain
 * line at most every `intervalMs` plus the last (logs stay readable). Same behaviour as the
 * verifier's catch-up bar (prover/progress.ts), for work that is not batches.
 */
export class ProgressBar {
  private lastLine = -Infinity;
  constructor(
    private readonly io: CliIO,
    private readonly label: string,
    private readonly total: number,
    private readonly intervalMs = 1000,
  ) {}

  update(done: number, detail = ""): void {
    const last = done >= this.total;
    const pct = this.total === 0 ? 100 : Math.floor((100 * done) / this.total);
    const text = `${done}/${this.total} ${pct}%${detail ? ` ${detail}` : ""}`;
    if (this.io.errIsTTY) {
      const width = 30;
      const fill = this.total === 0 ? width : Math.round((width * done) / this.total);
      this.io.err(`\r${this.label} [${"#".repeat(fill)}${".".repeat(width - fill)}] ${text}${last ? "\n" : ""}`);
      return;
    }
    const now = performance.now();
    if (last || now - this.lastLine >= this.intervalMs) {
      this.lastLine = now;
      this.io.err(`${this.label}: ${text}\n`);
    }
  }
}
