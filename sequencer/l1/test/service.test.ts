/**
 * The service in L1 mode on a real anvil: L1 deposits reach the state through the deriver,
 * sealed batches (the codec's data) reach the Rollup through the poster, the governed
 * batchInterval drives sealing, and GET /v1/info reports both. Plus the configuration checks
 * of L1 mode.
 */
import { keccak256 } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sealedBatchData } from "../../codec/index.js";
import { ConfigError, validateConfig } from "../../config.js";
import { type RunningSequencer, startSequencer } from "../../service.js";
import { bytesToHex } from "../../state/bytes.js";
import { contractsOf } from "../deploy.js";
import { type Chain, GENESIS, depositOnL1, setupChain, submittedOnL1, tmpDb, until } from "./helpers.js";

let c: Chain;
let seq: RunningSequencer | null = null;
let ticker: ReturnType<typeof setInterval> | null = null;

beforeAll(async () => {
  c = await setupChain();
}, 120_000);

afterAll(async () => {
  if (ticker) clearInterval(ticker);
  await seq?.close();
  await c?.anvil.stop();
});

function l1Config(over: Record<string, unknown> = {}) {
  return validateConfig(
    {
      db: tmpDb(),
      port: 0,
      chainId: BigInt(c.anvil.chainId),
      rollup: c.d.rollup,
      synchronous: "NORMAL",
      signatureWorkers: 1,
      l1: { rpcUrl: c.anvil.url, fromBlock: c.d.fromBlock, sequencerKey: c.anvil.accounts[1]!.privateKey, confirmations: 1, postConfirmations: 2, pollMs: 50 },
      ...over,
    },
    GENESIS,
  );
}

const info = async (url: string) => (await (await fetch(`${url}/v1/info`)).json()) as any;

describe("L1 mode configuration", () => {
  it("refuses dev deposits together with L1 mode, non-loopback RPC URLs and bad keys, naming the option", () => {
    const problems = (over: Record<string, unknown>) => {
      try {
        l1Config(over);
      } catch (e) {
        if (e instanceof ConfigError) return e.problems.join("\n");
        throw e;
      }
      return "";
    };
    expect(problems({ devDeposits: true })).toContain("--dev-deposits: cannot be combined with L1 mode");
    const l1 = l1Config().l1!;
    expect(problems({ l1: { ...l1, rpcUrl: "http://10.0.0.1:8545" } })).toContain("--l1-rpc: an http URL on a loopback host");
    expect(problems({ l1: { ...l1, sequencerKey: "0x1234" } })).toContain("--l1-sequencer-key:");
    expect(problems({ l1: { ...l1, postConfirmations: 0 } })).toContain("--l1-post-confirmations:");
    expect(problems({ batchMaxBytes: 10_000_000 })).toContain("--batch-max-bytes: at most maxBatchBytes");
    expect(problems({})).toBe("");
  });

  it("refuses to start against the wrong chain, a missing Rollup, or a key that is not the sequencer", async () => {
    await expect(startSequencer(l1Config({ chainId: 5n }))).rejects.toThrow(/--chain-id: 5, but the L1 node .* is chain 31337/);
    await expect(startSequencer(l1Config({ rollup: "0x00000000000000000000000000000000000000aa" }))).rejects.toThrow(/--rollup: no contract/);
    const l1 = l1Config().l1!;
    await expect(startSequencer(l1Config({ l1: { ...l1, sequencerKey: c.anvil.accounts[5]!.privateKey } }))).rejects.toThrow(/--l1-sequencer-key: its address .* is not the Rollup's sequencer/);
  }, 30_000);
});

describe("L1 mode", () => {
  it("credits an L1 deposit, posts its batch with the codec's data, and reports status", async () => {
    const lines: string[] = [];
    seq = await startSequencer({ ...l1Config(), l1Log: (l) => lines.push(l) });
    // Blocks keep coming (confirmations need them), as on a real chain.
    ticker = setInterval(() => void c.anvil.mine(1).catch(() => {}), 200);
    const who = c.depositors[0]!;
    await depositOnL1(c, who, 0, 123_456_789n);
    await until(async () => (await fetch(`${seq!.url}/v1/accounts/by-owner/${who.address}`)).status === 200, 30_000, "the deposit credited on L2");
    const { index } = (await (await fetch(`${seq.url}/v1/accounts/by-owner/${who.address}`)).json()) as { index: number };
    const acct = (await (await fetch(`${seq.url}/v1/accounts/${index}`)).json()) as { balances: string[] };
    expect(acct.balances[0]).toBe("123456789");

    // The governed batchInterval (1 s at deployment) drives the seal timer.
    const i0 = await info(seq.url);
    expect(i0.l1.batchIntervalMs).toBe(Number(c.d.params.batchInterval) * 1000);
    expect(i0.l1.batchMaxOps).toBe(Math.min(10_000, Number(c.d.params.maxBatchSize)));

    await until(() => seq!.l1!.poster!.confirmedThrough() >= 0, 30_000, "the first batch confirmed on L1");
    const posted = await submittedOnL1(c);
    expect(posted.length).toBeGreaterThanOrEqual(1);
    const k = contractsOf(c.d);
    for (const p of posted) {
      const b = seq.core.log.batch(p.index - 1)!;
      expect(p.header.newStateRoot).toBe(bytesToHex(b.postRoot));
      expect(p.header.prevStateRoot).toBe(bytesToHex(b.preRoot));
      expect(p.header.dataHash).toBe(keccak256(sealedBatchData(seq.core.log, b.index)));
      expect((await k.rollup.read.batch([BigInt(p.index)])).headerHash).toBe(p.headerHash);
    }
    const s = await info(seq.url);
    expect(s.l1.derivation.nextIndex).toBe("1");
    expect(s.l1.derivation.error).toBeNull();
    expect(s.l1.poster.error).toBeNull();
    expect(s.l1.confirmedThrough).toBeGreaterThanOrEqual(0);
    expect(s.l1.sealedBatches).toBeGreaterThanOrEqual(1);
    expect(s.devDeposits).toBe(false);
    expect(lines.some((l) => JSON.parse(l).event === "confirmed")).toBe(true);
    // No dev deposit route in L1 mode.
    expect((await fetch(`${seq.url}/v1/dev/deposit`, { method: "POST", body: "{}", headers: { "content-type": "application/json" } })).status).not.toBe(200);
  }, 60_000);
});
