/** The CLI: every bad option is reported with its name before anything starts; a good start prints its URL and serves. */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { tmpDb } from "./helpers.js";

const CLI = ["--import", "tsx", "sequencer/cli.ts"];
const ROOT = join(dirname(new URL(import.meta.url).pathname), "../../..");

function run(args: string[]) {
  return spawnSync(process.execPath, [...CLI, ...args], { cwd: ROOT, encoding: "utf8", timeout: 30_000 });
}

describe("crossmargin sequencer (CLI)", () => {
  it("reports every bad value with its option and exits 2", () => {
    const r = run(["sequencer", "--port", "abc", "--host", "10.0.0.1", "--rate-limit=-1", "--synchronous", "MAYBE", "--chain-id", "x1", "--batch-interval-ms", "1", "--verifier-url", "http://10.0.0.1:9000"]);
    expect(r.status).toBe(2);
    for (const expected of ["--port: \"abc\" is not a number", "--db: required", "--host: only loopback", "--rate-limit:", "--synchronous:", "--chain-id:", "--batch-interval-ms:", "--verifier-url: an http URL on a loopback host"]) {
      expect(r.stderr).toContain(expected);
    }
  });

  it("validates the L1 mode options, and refuses dev deposits with L1 mode", () => {
    const key = `0x${"11".repeat(32)}`;
    const both = run(["sequencer", "--db", tmpDb(), "--dev-deposits", "--l1-rpc", "http://127.0.0.1:1", "--l1-sequencer-key", key]);
    expect(both.status).toBe(2);
    expect(both.stderr).toContain("--dev-deposits: cannot be combined with L1 mode");
    const bad = run(["sequencer", "--db", tmpDb(), "--l1-rpc", "http://10.0.0.1:8545", "--l1-confirmations", "x", "--l1-from-block=-1", "--l1-post-confirmations", "0"]);
    expect(bad.status).toBe(2);
    for (const expected of ["--l1-sequencer-key: required with --l1-rpc", "--l1-confirmations: \"x\" is not a number", "--l1-from-block: \"-1\" is not a block number"]) expect(bad.stderr).toContain(expected);
    const badUrl = run(["sequencer", "--db", tmpDb(), "--l1-rpc", "http://10.0.0.1:8545", "--l1-sequencer-key", key, "--l1-post-confirmations", "0"]);
    expect(badUrl.stderr).toContain("--l1-rpc: an http URL on a loopback host");
    expect(badUrl.stderr).toContain("--l1-post-confirmations:");
    const orphan = run(["sequencer", "--db", tmpDb(), "--l1-confirmations", "3"]);
    expect(orphan.status).toBe(2);
    expect(orphan.stderr).toContain("--l1-confirmations: only with --l1-rpc");
    // A valid configuration whose L1 node is not there: named, exit 1, nothing opened.
    const db = tmpDb();
    const down = run(["sequencer", "--db", db, "--port", "0", "--l1-rpc", "http://127.0.0.1:1", "--l1-sequencer-key", key]);
    expect(down.status).toBe(1);
    expect(down.stderr).toContain("--l1-rpc: no L1 node answers at http://127.0.0.1:1");
    expect(existsSync(db)).toBe(false);
  });

  it("rejects unknown options and a bad genesis file with the field", () => {
    const unknown = run(["sequencer", "--db", tmpDb(), "--colour", "blue"]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("--colour");
    const file = join(dirname(tmpDb()), "genesis.json");
    writeFileSync(file, JSON.stringify({ maxOracleAgeMs: "x", oracleBandPpm: "1", nonceWindowMs: "1", oracleThreshold: 1, oracleSigners: ["0x01"], assets: [], markets: [] }));
    const bad = run(["sequencer", "--db", tmpDb(), "--genesis", file]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("maxOracleAgeMs");
    expect(bad.stderr).toContain("oracleSigners.0");
    expect(bad.stderr).toContain("assets");
  });

  it("starts, prints its URL, serves, and stops on SIGTERM", async () => {
    const child = spawn(process.execPath, [...CLI, "sequencer", "--db", tmpDb(), "--port", "0", "--synchronous", "NORMAL"], { cwd: ROOT });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (d) => {
          out += String(d);
          if (out.includes("\n")) resolve(out.split("\n")[0]!);
        });
        child.once("exit", (c) => reject(new Error(`exited ${c}`)));
      });
      const started = JSON.parse(line);
      expect(started.event).toBe("started");
      const info = (await (await fetch(`${started.url}/v1/info`)).json()) as { markets: unknown[] };
      expect(info.markets).toHaveLength(3); // the devnet genesis
      const exit = new Promise<number | null>((r) => child.once("exit", r));
      child.kill("SIGTERM");
      expect(await exit).toBe(0);
    } finally {
      child.kill("SIGKILL");
    }
  });
});
