/**
 * The operator commands against a sequencer without L1 (dev deposits): each command's text
 * and --json output and the errors an operator meets — wrong command lines (exit 2, the
 * option named), API refusals (exit 1, the API's code), an unreachable sequencer. The L1
 * side (governance on anvil, batch finality, reserves --verify) is test/governance.test.ts.
 */
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningSequencer } from "../../service.js";
import { keyOf, post, Signer, startTest } from "../../api/test/helpers.js";
import { FLAG_SELL, TIF_IOC, TIF_POST_ONLY, TIF_SHIFT } from "../../state/constants.js";
import { ProgressBar } from "../common.js";
import { operatorMain } from "../index.js";
import { parseValue } from "../governance.js";

const ROOT = new URL("../../..", import.meta.url).pathname;
let seq: RunningSequencer;
const alice = new Signer(keyOf("cli/alice"));
let A = -1;

async function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string; json: () => any }> {
  let out = "";
  let err = "";
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    const code = await operatorMain(args[0]!, args.slice(1), { out: (s) => void (out += s), err: (s) => void (err += s) });
    return { code, out, err, json: () => JSON.parse(out) };
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  }
}

beforeAll(async () => {
  seq = await startTest({ batchIntervalMs: 100 });
  const r = await post(seq.url, "/v1/dev/deposit", { owner: alice.address, asset: 0, amount: "1234500000" });
  expect(r.status).toBe(200);
  A = r.json.account;
  // Wait for the deposit's batch.
  for (let i = 0; i < 100 && seq.core.log.lastBatch() === undefined; i++) await new Promise((res) => setTimeout(res, 50));
}, 60_000);

afterAll(async () => {
  await seq?.close();
});

describe("account", () => {
  it("shows balances and margin by index and by address, in text and JSON", async () => {
    const t = await run(["account", String(A), "--url", seq.url]);
    expect(t.code).toBe(0);
    expect(t.err).toBe("");
    expect(t.out).toContain(`account ${A}  owner ${alice.address.toLowerCase()}`);
    expect(t.out).toMatch(/^ {2}0 +1234\.5$/m);
    expect(t.out).toMatch(/^ {2}collateral +1234\.5$/m);
    expect(t.out).toMatch(/^ {2}health +1234\.5$/m);
    expect(t.out).toContain("positions    none");
    const j = await run(["account", alice.address, "--url", seq.url, "--json"]);
    expect(j.code).toBe(0);
    expect(j.json()).toMatchObject({ index: A, balances: ["1234500000", "0", "0", "0"], margin: { collateral: "1234500000", liquidatable: false } });
  });

  it("shows positions and open orders after a trade", async () => {
    const USD = 1_000_000n;
    const carol = new Signer(keyOf("cli/carol"));
    const dave = new Signer(keyOf("cli/dave"));
    const C = (await post(seq.url, "/v1/dev/deposit", { owner: carol.address, asset: 0, amount: String(10_000n * USD) })).json.account as number;
    const D = (await post(seq.url, "/v1/dev/deposit", { owner: dave.address, asset: 0, amount: String(10_000n * USD) })).json.account as number;
    const order = (s: Signer, account: number, sell: boolean, price: bigint, size: bigint, tif: number, clientOrderId = 0n) =>
      s.sign({ type: "PlaceOrder", account, market: 0, flags: (sell ? FLAG_SELL : 0) | (tif << TIF_SHIFT), price, size, expiry: 0n, clientOrderId } as never);
    expect((await post(seq.url, "/v1/op", order(carol, C, true, 60_000n * USD, 1_000_000n, TIF_POST_ONLY))).json.ok).toBe(true);
    const take = await post(seq.url, "/v1/op", order(dave, D, false, 60_000n * USD, 1_000_000n, TIF_IOC));
    expect(take.json.fills[0].ok).toBe(true);
    expect((await post(seq.url, "/v1/op", order(carol, C, false, 50_000n * USD, 2_000_000n, TIF_POST_ONLY, 77n))).json.ok).toBe(true);
    const t = await run(["account", String(C), "--url", seq.url]);
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/^ {2}market +size +entry price +mark +unrealized PnL +mode +isolated margin +isolated equity$/m);
    expect(t.out).toMatch(/^ {2}0 +-0\.01 +60000 +[0-9.]+ +-?[0-9.]+ +isolated +60 +60$/m);
    expect(t.out).toMatch(/^ {2}slot +market +side +price +size +remaining +client id$/m);
    expect(t.out).toMatch(/^ {2}\d+ +0 +buy +50000 +0\.02 +0\.02 +77$/m);
    const j = (await run(["account", String(C), "--url", seq.url, "--json"])).json();
    expect(j.positions).toMatchObject([{ market: 0, size: "-1000000", entryNotional: String(-600n * USD), marginMode: "isolated" }]);
    expect(j.orders).toMatchObject([{ market: 0, side: "buy", price: String(50_000n * USD), size: "2000000", clientOrderId: "77" }]);
  });

  it("says what is wrong: no such owner, not an address, no argument", async () => {
    const none = await run(["account", `0x${"ab".repeat(20)}`, "--url", seq.url, "--json"]);
    expect(none.code).toBe(1);
    expect(none.json().error).toMatchObject({ code: "ACCOUNT_UNKNOWN" });
    expect(none.err).toContain(`crossmargin account: the sequencer answered 404 ACCOUNT_UNKNOWN: no account is owned by 0x${"ab".repeat(20)}`);
    const bad = await run(["account", "0x1234", "--url", seq.url]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('"0x1234" is neither an address (0x and 40 hex digits) nor an account index');
    const missing = await run(["account"]);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("account takes one address or index, got 0");
  });
});

describe("batch show", () => {
  it("shows roots, ops and that nothing is posted without L1; --ops lists the operations", async () => {
    const b = seq.core.log.batch(0)!;
    const j = await run(["batch", "show", "0", "--url", seq.url, "--json"]);
    expect(j.code).toBe(0);
    expect(j.json()).toMatchObject({ index: 0, l1Batch: 1, ops: { count: b.toSeq - b.fromSeq + 1, fromSeq: String(b.fromSeq), toSeq: String(b.toSeq) }, l1: null });
    expect(j.json().postRoot).toBe(`0x${Buffer.from(b.postRoot).toString("hex")}`);
    const t = await run(["batch", "show", "0", "--url", seq.url, "--ops"]);
    expect(t.code).toBe(0);
    expect(t.out).toContain("  L1           the sequencer runs without L1 (nothing is posted)");
    expect(t.out).toMatch(/^1 +Deposit +- +ok$/m);
    // Progress goes to stderr, never into the result.
    expect(t.err).toMatch(/^reading batch 0's operations: \d+\/\d+ 100%$/m);
  });

  it("refuses a bad index, an unknown action and a missing batch", async () => {
    expect((await run(["batch", "show", "-1", "--url", seq.url])).code).toBe(2);
    const abc = await run(["batch", "show", "abc", "--url", seq.url, "--json"]);
    expect(abc.json().error).toEqual({ code: "INVALID_ARGUMENT", message: '"abc" is not a batch index (0, 1, …: the op-log index; GET /v1/batches lists them)', field: "<n>" });
    const action = await run(["batch", "list"]);
    expect(action.code).toBe(2);
    expect(action.err).toContain('unknown action "list": use batch show <n>');
    const missing = await run(["batch", "show", "424242", "--url", seq.url]);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain("the sequencer answered 404 NOT_FOUND");
    const option = await run(["batch", "show", "0", "--bogus"]);
    expect(option.code).toBe(2);
    expect(option.err).toContain("Unknown option '--bogus'");
  });
});

describe("reserves", () => {
  it("says reserves need L1 mode, and checks its options", async () => {
    const r = await run(["reserves", "--url", seq.url, "--json"]);
    expect(r.code).toBe(1);
    expect(r.json().error.code).toBe("RESERVES_UNAVAILABLE");
    const rpc = await run(["reserves", "--rpc", "http://127.0.0.1:8545"]);
    expect(rpc.code).toBe(2);
    expect(rpc.err).toContain("--rpc: only with --verify");
    const pos = await run(["reserves", "7"]);
    expect(pos.code).toBe(2);
    expect(pos.err).toContain('reserves takes no arguments (got "7"); the batch goes in --batch <n>');
    const batch = await run(["reserves", "--batch", "0"]);
    expect(batch.err).toContain('--batch: "0" is not an integer in 1..');
  });
});

describe("governance command line", () => {
  it("refuses unknown parameters, bad values, misplaced options and a missing key before any L1 call", async () => {
    const unknown = await run(["governance", "propose", "batch-interval", "3", "--json"]);
    expect(unknown.code).toBe(2);
    expect(unknown.json().error).toMatchObject({ code: "UNKNOWN_PARAM", field: "<param>" });
    expect(unknown.json().error.message).toContain("(did you mean batchInterval?)");
    const value = await run(["governance", "propose", "batchInterval", "3x", "--key", `0x${"11".repeat(32)}`]);
    expect(value.code).toBe(2);
    expect(value.err).toContain('"3x" is not a value of batchInterval: give seconds (e.g. 30, 30s, 10m, 2h, 1d)');
    const salt = await run(["governance", "propose", "batchInterval", "3", "--salt", "1"]);
    expect(salt.err).toContain("--salt: only with execute");
    const key = await run(["governance", "execute", "batchInterval", "3"], { CROSSMARGIN_GOVERNANCE_KEY: "" });
    expect(key.code).toBe(2);
    expect(key.err).toContain("not a private key");
    const noKey = await run(["governance", "propose", "batchInterval", "3", "--json"]);
    expect(noKey.json().error).toMatchObject({ code: "MISSING_KEY", field: "--key" });
    const args = await run(["governance", "propose", "batchInterval"]);
    expect(args.err).toContain("governance propose takes <param> <value>, got 1 argument");
    const action = await run(["governance", "vote", "batchInterval", "3"]);
    expect(action.err).toContain('unknown action "vote": use propose or execute');
  });

  it("says when the L1 RPC does not answer", async () => {
    const r = await run(["governance", "propose", "batchInterval", "3", "--rpc", "http://127.0.0.1:9", "--governance", `0x${"42".repeat(20)}`, "--key", `0x${"11".repeat(32)}`, "--json"]);
    expect(r.code).toBe(1);
    expect(r.json().error).toMatchObject({ code: "L1_UNREACHABLE", field: "--rpc" });
    expect(r.err).toContain("cannot reach the L1 RPC at http://127.0.0.1:9");
  });

  it("finds no L1 behind a sequencer without it", async () => {
    const r = await run(["governance", "propose", "batchInterval", "3", "--url", seq.url, "--key", `0x${"11".repeat(32)}`, "--json"]);
    expect(r.code).toBe(1);
    expect(r.json().error).toMatchObject({ code: "NO_L1", field: "--rpc" });
  });

  it("parses values in the parameter's unit", () => {
    expect(parseValue("batchInterval", "s", "90")).toBe(90n);
    expect(parseValue("challengeWindow", "s", "2d")).toBe(172_800n);
    expect(parseValue("delay", "s", "10m")).toBe(600n);
    expect(parseValue("sequencerBond", "wei", "1.5eth")).toBe(1_500_000_000_000_000_000n);
    expect(parseValue("forcedOpFee", "wei", "2gwei")).toBe(2_000_000_000n);
    expect(() => parseValue("forcedOpFee", "wei", "0.0000000000000000001eth")).toThrow("is not a value of forcedOpFee");
    expect(() => parseValue("maxBatchSize", "ops", "1h")).toThrow("give a whole number of operations");
    expect(() => parseValue("batchInterval", "s", "1eth")).toThrow("give seconds");
  });
});

describe("reaching the sequencer", () => {
  it("says where it looked and how to point elsewhere", async () => {
    const r = await run(["account", "1", "--url", "http://127.0.0.1:9", "--json"]);
    expect(r.code).toBe(1);
    expect(r.json().error.code).toBe("SEQUENCER_UNREACHABLE");
    expect(r.err).toContain("cannot reach the sequencer at http://127.0.0.1:9");
    expect(r.err).toContain("pass its API with --url or CROSSMARGIN_URL");
    const url = await run(["account", "1", "--url", "ftp://x"]);
    expect(url.code).toBe(2);
    expect(url.err).toContain('--url: "ftp://x" is not an http(s) URL');
    const env = await run(["account", String(A), "--json"], { CROSSMARGIN_URL: seq.url });
    expect(env.code).toBe(0);
    expect(env.json().index).toBe(A);
  });
});

describe("progress bar", () => {
  it("redraws one line on a terminal and prints plain lines otherwise", () => {
    let tty = "";
    const bar = new ProgressBar({ out: () => {}, err: (s) => void (tty += s), errIsTTY: true }, "replay", 4);
    bar.update(1);
    bar.update(4);
    expect(tty).toBe(`\rreplay [${"#".repeat(8)}${".".repeat(22)}] 1/4 25%\rreplay [${"#".repeat(30)}] 4/4 100%\n`);
    let plain = "";
    const p = new ProgressBar({ out: () => {}, err: (s) => void (plain += s) }, "replay", 3, 60_000);
    p.update(1, "x");
    p.update(2);
    p.update(3);
    expect(plain).toBe("replay: 1/3 33% x\nreplay: 3/3 100%\n");
  });
});

describe("bin/crossmargin", () => {
  it("lists the operator commands beside the existing ones and dispatches to them", () => {
    const help = spawnSync(process.execPath, ["--import", "tsx", "bin/crossmargin", "--help"], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
    expect(help.status).toBe(0);
    expect(help.stderr).toContain("usage: crossmargin sequencer --db <file>");
    expect(help.stderr).toContain("crossmargin governance propose|execute <param> <value>");
    const gov = spawnSync(process.execPath, ["--import", "tsx", "bin/crossmargin", "governance", "propose", "nope", "1", "--json"], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
    expect(gov.status).toBe(2);
    expect(JSON.parse(gov.stdout).error.code).toBe("UNKNOWN_PARAM");
    const devnet = spawnSync(process.execPath, ["--import", "tsx", "bin/crossmargin", "devnet", "--help"], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
    expect(devnet.status).toBe(0);
    expect(devnet.stdout).toContain("usage: npm start [-- options]");
    const verifier = spawnSync(process.execPath, ["--import", "tsx", "bin/crossmargin", "verifier", "--help"], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
    expect(verifier.status).toBe(0);
    expect(verifier.stdout).toContain("usage: crossmargin-verifier");
  }, 120_000);
});

describe("margin what-if", () => {
  it("a hypothetical portfolio and an existing account, text and --json; bad positions named", async () => {
    // BTC long 1 at the 60,000 mark (10% / 5%), ETH short 20 at 3,000 (5% / 2.5%), 20,000 collateral.
    const j = await run(["margin", "what-if", "--collateral", "20000", "--position", "0:1", "--position", "1:-20", "--url", seq.url, "--json"]);
    expect(j.code).toBe(0);
    const r = j.json();
    expect(r.positions.map((p: { initial: string }) => p.initial)).toEqual([String(6_000_000_000n), String(3_000_000_000n)]);
    expect(r.isolated).toMatchObject({ initial: String(9_000_000_000n), excess: String(11_000_000_000n) });
    expect(r.cross.excess).toBe(String(11_000_000_000n));
    expect(BigInt(r.freedByPortfolio)).toBe(BigInt(r.portfolio.excess) - 11_000_000_000n);
    const t = await run(["margin", "what-if", "--collateral", "20000", "--position", "0:1@59000", "--url", seq.url]);
    expect(t.code).toBe(0);
    expect(t.out).toContain("collateral 20000  unrealized PnL 1000");
    expect(t.out).toMatch(/isolated +6000 +3000 +15000/);
    expect(t.out).toContain("opting in frees, over isolated: cross 0, portfolio");
    const acct = await run(["margin", "what-if", String(A), "--url", seq.url, "--json"]);
    expect(acct.code).toBe(0);
    expect(acct.json().collateralValue).toBe("1234500000");
    const bad = await run(["margin", "what-if", "--position", "0:abc", "--url", seq.url]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--position: "0:abc" is not <market>:<size>[@<price>]');
    const both = await run(["margin", "what-if", String(A), "--collateral", "1", "--url", seq.url]);
    expect(both.code).toBe(2);
    const unknown = await run(["margin", "what-if", "--position", "9:1", "--url", seq.url, "--json"]);
    expect(unknown.code).toBe(1);
    expect(unknown.json().error).toMatchObject({ field: "positions[0].market" });
  });
});
