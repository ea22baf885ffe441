/** Distributed mode's options, validated at the boundary with the option named in each problem. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { ConfigError, validateConfig } from "../../config.js";
import { devnetGenesis } from "../../devnet.js";
import { parsePostWorkerCli } from "../cli.js";

const KEY = `0x${"11".repeat(32)}`;
const l1 = { rpcUrl: "http://127.0.0.1:8545", sequencerKey: KEY };

function problems(raw: Record<string, unknown>): string[] {
  try {
    validateConfig({ db: "x.db", ...raw }, devnetGenesis());
    return [];
  } catch (e) {
    return (e as ConfigError).problems;
  }
}

it("the sequencer's --mode: distributed needs --redis-url on loopback and L1 mode", () => {
  expect(problems({ mode: "distributed", l1 })).toEqual(["--redis-url: required in distributed mode (--mode distributed)"]);
  expect(problems({ mode: "distributed", redisUrl: "redis://127.0.0.1:6379" })[0]).toMatch(/^--mode: distributed mode .* needs L1 mode \(--l1-rpc\)/);
  expect(problems({ mode: "distributed", l1, redisUrl: "redis://10.1.2.3:6379" })[0]).toMatch(/^--redis-url: a redis:\/\/ URL on a loopback host/);
  expect(problems({ mode: "sharded" })[0]).toMatch(/^--mode: /);
  expect(problems({ mode: "distributed", l1, redisUrl: "redis://127.0.0.1:6379", redisPrefix: "a b" })[0]).toMatch(/^--redis-prefix: /);
  const ok = validateConfig({ db: "x.db", mode: "distributed", l1, redisUrl: "redis://localhost:6380/2" }, devnetGenesis());
  expect(ok).toMatchObject({ mode: "distributed", redisUrl: "redis://localhost:6380/2", redisPrefix: "crossmargin" });
});

it("crossmargin post-worker: every problem reported at once, each with its option", () => {
  const dir = mkdtempSync(join(tmpdir(), "cm-pw-"));
  const db = join(dir, "seq.db");
  writeFileSync(db, "");
  const bad = parsePostWorkerCli(["--db", join(dir, "missing.db"), "--redis-url", "redis://8.8.8.8:6379", "--l1-rpc", "http://10.0.0.1:8545", "--rollup", "0x12", "--chain-id", "0", "--lock-ms", "5"], {});
  expect(bad).toEqual([
    `--db: ${join(dir, "missing.db")} is not an existing file (start the sequencer first; its --db)`,
    '--redis-url: "redis://8.8.8.8:6379" is not a redis:// URL on a loopback host with a port',
    '--l1-rpc: "http://10.0.0.1:8545" is not an http(s) URL on a loopback host',
    '--rollup: "0x12" is not an address (0x + 40 hex digits)',
    '--chain-id: "0" is not a positive integer',
    "--l1-sequencer-key: required (or set CROSSMARGIN_SEQUENCER_KEY)",
    '--lock-ms: "5" is not an integer in 1000..3600000',
  ]);
  expect(parsePostWorkerCli(["--bogus"], {})).toEqual([expect.stringMatching(/Unknown option '--bogus'/)]);
  const good = parsePostWorkerCli(["--db", db, "--redis-url", "redis://127.0.0.1:6379", "--l1-rpc", "http://127.0.0.1:8545", "--rollup", `0x${"AB".repeat(20)}`, "--chain-id", "31337"], { CROSSMARGIN_SEQUENCER_KEY: KEY });
  expect(good).toMatchObject({ db, chainId: 31337n, rollup: `0x${"ab".repeat(20)}`, sequencerKey: KEY, redisPrefix: "crossmargin", lockMs: 30_000, jobTimeoutMs: 120_000 });
});

it("crossmargin-verifier --redis-url: loopback only, its companions only with it, not with --once", async () => {
  const { parseCli } = await import("../../../prover/cli.js");
  const base = ["--rpc", "http://127.0.0.1:8545", "--rollup", `0x${"ab".repeat(20)}`, "--from-block", "0", "--db", join(tmpdir(), "v.db")];
  const problemsOf = (args: string[]) => {
    try {
      parseCli([...base, ...args]);
      return [];
    } catch (e) {
      return (e as { problems: string[] }).problems.filter((p) => !p.startsWith("--genesis"));
    }
  };
  expect(problemsOf(["--redis-url", "redis://192.168.1.2:6379"])).toEqual(['--redis-url: "redis://192.168.1.2:6379" is not a redis:// URL on a loopback host with a port']);
  expect(problemsOf(["--lock-ms", "2000"])).toEqual(["--lock-ms: only with --redis-url"]);
  expect(problemsOf(["--redis-url", "redis://127.0.0.1:6379", "--once"])).toEqual(["--once: not with --redis-url (a worker answers jobs until stopped)"]);
});
