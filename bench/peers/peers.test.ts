/**
 * The peers harness end to end at its tiny scale: `bench/peers/run.ts` as a child process
 * (anvil, the sequencer CLI, both matching engines, the codecs, the hashers), written into a
 * temp directory, then the JSON, the report and the charts are checked against each other:
 * every ratio in the report is ours ÷ peer of the figures in latest.json, every chart has one
 * bar per figure it draws and those bars carry the JSON's values, other benches' entries
 * survive the merge.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { barChart } from "./svg.js";
import { verdict } from "./report.js";
import { orderFlow } from "./general.js";
import { sealUnderCap } from "./data.js";
import { referenceOps } from "../codec.js";

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, "..", "..");

interface Entry {
  name: string;
  value: number;
  unit: string;
}

const EXPECTED = [
  "peer.match_ours_per_s",
  "peer.match_hftlob_per_s",
  "peer.ours_ops_per_s",
  "peer.anvil_tx_per_s",
  "peer.anvil_tx_per_s_automine",
  "peer.anvil_tx_per_s_nomining",
  "peer.onchain_gas_per_fill",
  "peer.onchain_stf_gas_per_fill",
  "peer.onchain_gas_per_fill_mix",
  "peer.rollup_gas_per_fill",
  "peer.rollup_gas_per_op",
  "peer.codec_ours_bytes_per_op_cap",
  "peer.codec_brotli_bytes_per_op_cap",
  "peer.codec_zstd_bytes_per_op_cap",
  "peer.codec_sig_share_cap",
  "peer.sha256_hashtree_per_s",
  "peer.sha256_assha256_per_s",
  "peer.root_ms_hashtree",
  "peer.root_ms_assha256",
  "peer.sig_native_per_s",
  "peer.sig_viem_per_s",
];

describe("bench:peers at tiny scale", () => {
  let dir: string;
  let json: Entry[];
  let byName: Map<string, number>;
  let report: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "cm-peers-test-"));
    // Another bench's entry and a stale peer figure: the first must survive, the second be replaced.
    writeFileSync(join(dir, "latest.json"), JSON.stringify([{ name: "other.bench_figure", value: 42, unit: "x" }, { name: "peer.match_ours_per_s", value: -1, unit: "events/s" }]));
    await run(process.execPath, ["--import", "tsx", "bench/peers/run.ts", "--scale", "tiny", "--out", dir, "--max-seconds", "400"], { cwd: ROOT, maxBuffer: 32 << 20, timeout: 420_000 });
    json = JSON.parse(readFileSync(join(dir, "latest.json"), "utf8")) as Entry[];
    byName = new Map(json.map((e) => [e.name, e.value]));
    report = readFileSync(join(dir, "report.md"), "utf8");
  }, 450_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("merges its figures into latest.json without dropping other benches' entries", () => {
    expect(byName.get("other.bench_figure")).toBe(42);
    expect(json.filter((e) => e.name === "peer.match_ours_per_s")).toHaveLength(1);
    for (const name of EXPECTED) {
      const v = byName.get(name);
      expect(v, name).toBeTypeOf("number");
      expect(Number.isFinite(v) && v! > 0, `${name} = ${v}`).toBe(true);
    }
    // Measured, not copied: each pair's two sides differ, and shares are fractions.
    expect(byName.get("peer.match_ours_per_s")).not.toBe(byName.get("peer.match_hftlob_per_s"));
    expect(byName.get("peer.anvil_tx_per_s")).toBe(Math.max(byName.get("peer.anvil_tx_per_s_automine")!, byName.get("peer.anvil_tx_per_s_nomining")!));
    expect(byName.get("peer.codec_sig_share_cap")!).toBeLessThan(1);
    // A fill on chain costs at least the 21k base of a transaction.
    expect(byName.get("peer.onchain_gas_per_fill")!).toBeGreaterThan(21_000);
    // Our STF on chain carries its witness: more than the storage-based contract's fill.
    expect(byName.get("peer.onchain_stf_gas_per_fill")!).toBeGreaterThan(byName.get("peer.onchain_gas_per_fill")!);
  });

  it("prints each ratio as ours ÷ peer of the JSON figures, with a reason to win or a way to win", () => {
    const bullets = [...report.matchAll(/^- \*\*(.+?)\*\*: ours `(peer\.[\w.]+)` = .+?, peer `(peer\.[\w.]+)` = .+?; ratio ([\d.]+) \((higher|lower) is better\): we (win|lose)(.*)$/gm)];
    expect(bullets.length).toBeGreaterThanOrEqual(8);
    for (const [, figure, ours, peer, ratio, better, result, text] of bullets) {
      const expected = byName.get(ours!)! / byName.get(peer!)!;
      expect(Number(ratio), figure).toBeCloseTo(expected, 3);
      const weWin = better === "higher" ? expected >= 1 : expected <= 1;
      expect(result, figure).toBe(weWin ? "win" : "lose");
      if (!weWin) expect(text, figure).toMatch(/To win/);
    }
    // The summary table has one row per comparison.
    const rows = report.split("\n").filter((l) => /^\| \[/.test(l));
    expect(rows).toHaveLength(bullets.length);
  });

  it("draws every chart the report links, one bar per measured value", () => {
    const links = [...report.matchAll(/!\[[^\]]*\]\(([^)]+\.svg)\)/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThanOrEqual(7);
    const jsonValues = new Set(json.map((e) => e.value));
    for (const file of links) {
      const path = join(dir, file);
      expect(existsSync(path), file).toBe(true);
      const svg = readFileSync(path, "utf8");
      expect(svg.startsWith("<svg ")).toBe(true);
      const bars = [...svg.matchAll(/<rect class="bar" data-label="[^"]*" data-value="([^"]+)"/g)].map((m) => Number(m[1]));
      expect(bars.length, file).toBeGreaterThanOrEqual(2);
      expect(svg.split('class="bar"').length - 1, file).toBe(bars.length);
      for (const v of bars) expect(jsonValues.has(v), `${file}: bar ${v} is a figure of latest.json`).toBe(true);
    }
  });
});

describe("peers harness parts", () => {
  it("bar chart: one bar per value, scaled to the largest, refusing non-figures", () => {
    const svg = barChart({ title: "t", unit: "u", bars: [{ label: "a", value: 10, ours: true }, { label: "b <c>", value: 5, ours: false }] });
    const widths = [...svg.matchAll(/class="bar"[^>]* width="(\d+)"/g)].map((m) => Number(m[1]));
    expect(widths).toHaveLength(2);
    expect(widths[0]).toBe(2 * widths[1]!);
    expect(svg).toContain("b &lt;c&gt;");
    expect(() => barChart({ title: "t", unit: "u", bars: [{ label: "a", value: NaN, ours: true }] })).toThrow(/NaN/);
    expect(() => barChart({ title: "t", unit: "u", bars: [] })).toThrow(/no bars/);
  });

  it("verdict: ratio is ours ÷ peer and the winner follows the direction", () => {
    const e = (value: number) => ({ name: "x", value, unit: "u" });
    expect(verdict({ figure: "f", ours: e(30), peer: e(10), better: "higher", win: "", lose: "" })).toEqual({ ratio: 3, advantage: 3, weWin: true });
    expect(verdict({ figure: "f", ours: e(30), peer: e(10), better: "lower", win: "", lose: "" }).weWin).toBe(false);
    expect(() => verdict({ figure: "f", ours: e(0), peer: e(10), better: "lower", win: "", lose: "" })).toThrow(/positive/);
  });

  it("order flow: takes name quotes of earlier chunks only, never cancelled afterwards", () => {
    const chunks = orderFlow({ accounts: 80, messages: 3_000, chunk: 300 });
    const placedIn = new Map<string, number>();
    const taken = new Set<string>();
    let takes = 0;
    chunks.forEach((chunk, c) => {
      for (const m of chunk) {
        if (m.kind === "quote") placedIn.set(`${m.account}/${m.clientId}`, c);
        else if (m.kind === "take") {
          const key = `${m.makerAccount}/${m.makerClientId}`;
          expect(placedIn.get(key)!).toBeLessThan(c);
          expect(taken.has(key)).toBe(false);
          taken.add(key);
          takes++;
        } else expect(taken.has(`${m.account}/${m.clientId}`)).toBe(false);
      }
    });
    expect(takes).toBeGreaterThan(100);
  });

  it("batches are sealed under the byte cap, each as large as fits", () => {
    const ref = referenceOps(300, { accounts: 200, warmup: 200 });
    const cap = 8_000;
    const batches = sealUnderCap(ref.ops, cap);
    expect(batches.reduce((a, b) => a + b.count, 0)).toBe(300);
    for (const [i, b] of batches.entries()) {
      expect(b.data.length).toBeLessThanOrEqual(cap);
      if (i + 1 < batches.length) expect(sealUnderCap(ref.ops.slice(b.start, b.start + b.count + 1), cap)).toHaveLength(2);
    }
  });
});
