/**
 * The verifier CLI: every bad option named at once (exit 2), and a real `--once` run against
 * anvil with honest batches (exit 0, status JSON on stdout, plain progress lines on stderr).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { sealedBatchData } from "../../sequencer/codec/index.js";
import { writeGenesisFile } from "../../sequencer/api/test/child.js";
import { BatchPoster } from "../../sequencer/l1/poster.js";
import { GENESIS, fundAccounts, openTestCore, sealTransfers, setupChain, tmpDb, until } from "../../sequencer/l1/test/helpers.js";
import { contractsOf } from "../../sequencer/l1/deploy.js";

const BIN = join(import.meta.dirname, "..", "..", "bin", "crossmargin-verifier");
const dir = mkdtempSync(join(tmpdir(), "cm-verifier-cli-"));
const run = (args: string[]) => spawnSync(BIN, args, { encoding: "utf8", timeout: 60_000 });

describe("crossmargin-verifier CLI", () => {
  it("names every invalid option and exits 2", () => {
    const badGenesis = join(dir, "bad.json");
    writeFileSync(badGenesis, JSON.stringify({ markets: "no" }));
    const r = run(["--rpc", "ftp://x", "--rollup", "0x12", "--from-block", "1.5", "--genesis", badGenesis, "--db", "/nonexistent-dir/v.db", "--poll-ms", "1", "--status-port", "70000", "--signature-workers", "x"]);
    expect(r.status).toBe(2);
    for (const m of ["--rpc: ", "--rollup: ", "--from-block: ", "--genesis: ", "--db: directory", "--poll-ms: ", "--status-port: ", "--signature-workers: "]) expect(r.stderr).toContain(m);
    const missing = run([]);
    expect(missing.status).toBe(2);
    for (const k of ["rpc", "rollup", "from-block", "genesis", "db"]) expect(missing.stderr).toContain(`--${k}: required`);
    expect(run(["--nope"]).stderr).toMatch(/Unknown option '--nope'/);
    expect(run(["--help"]).status).toBe(0);
  }, 60_000);

  const cleanup: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const f of cleanup) await f();
  });

  it("--once catches up from genesis and prints the status (exit 0), refuses a wrong genesis (exit 1)", async () => {
    const c = await setupChain();
    cleanup.push(() => c.anvil.stop());
    const core = openTestCore(tmpDb());
    cleanup.push(async () => core.log.close());
    await fundAccounts(core, c, 2);
    core.sealBatch();
    for (let i = 0; i < 3; i++) await sealTransfers(core, c, 2);
    const p = new BatchPoster({ log: core.log, rollup: c.d.rollup, client: c.d.clients.public, account: c.d.clients.sequencer.account, confirmations: 1, pollMs: 20, batchData: (i) => sealedBatchData(core.log, i), logLine: () => {} });
    p.start();
    const k = contractsOf(c.d);
    await until(async () => (await k.rollup.read.nextBatchIndex()) === 5n, 30_000, "4 batches posted");
    await p.stop();

    const genesis = writeGenesisFile(join(dir, "genesis.json"), GENESIS);
    const db = join(dir, "v.db");
    const args = ["--rpc", c.anvil.url, "--rollup", c.d.rollup, "--from-block", String(c.d.fromBlock), "--genesis", genesis, "--db", db, "--once", "--signature-workers", "1"];
    const r = spawnSync(BIN, args, { encoding: "utf8", timeout: 60_000 });
    expect(r.stderr).toMatch(/verifier: catching up: batch 4 \(4\/4\) 100%/);
    expect(r.status).toBe(0);
    const status = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as Record<string, unknown>;
    expect(status).toMatchObject({ verified: 4, disputed: 0, verifiedThrough: 4, lastBatch: 4 });

    const other = writeGenesisFile(join(dir, "other.json"), { ...GENESIS, markets: GENESIS.markets.slice(0, 1) });
    const bad = spawnSync(BIN, [...args.slice(0, 7), other, "--db", join(dir, "v2.db"), "--once"], { encoding: "utf8", timeout: 60_000 });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/genesis root .* wrong --genesis or --rollup/);
  }, 90_000);
});
