/**
 * anvil.ts and deploy.ts against a real anvil: loopback and free ports, stop, time travel,
 * snapshot/revert; the deployment wired as Deploy.s.sol wires it, Governance's shadow equal
 * to the genesis, the sequencer bonded; the committed ABIs equal to the artifacts.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bytesToHex } from "../../state/bytes.js";
import { createGenesisState, stateRoot } from "../../state/index.js";
import { RISK_DEFAULTS } from "../../state/genesis.js";
import { ABI_PATH, renderAbis } from "../gen-abi.js";
import { type Anvil, startAnvil } from "../anvil.js";
import { domainSeparator, getContract } from "viem";
import { oneStepProverAbi } from "../abi.js";
import { OP_TYPES } from "../../state/types.js";
import { DEFAULT_PARAMS, DEFAULT_TIMELOCK_DELAY, ONE_STEP_PARTS, contractsOf, deploy, disputeGameAbi, disputeParams, l1Clients } from "../deploy.js";
import { type Chain, GENESIS, openTestCore, setupChain, tmpDb } from "./helpers.js";

describe("anvil", () => {
  let a: Anvil;
  let b: Anvil;
  beforeAll(async () => {
    [a, b] = await Promise.all([startAnvil(), startAnvil({ chainId: 1337 })]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it("listens on loopback, each on its own free port, with anvil's dev accounts", async () => {
    expect(a.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(a.port).not.toBe(b.port);
    expect(a.port).toBeGreaterThan(0);
    expect(b.chainId).toBe(1337);
    expect(Number(BigInt(await b.rpc<string>("eth_chainId")))).toBe(1337);
    const accounts = (await a.rpc<string[]>("eth_accounts")).map((x) => x.toLowerCase());
    expect(accounts).toEqual(a.accounts.map((x) => x.address.toLowerCase()));
  });

  it("refuses arguments that would change the host or port", async () => {
    await expect(startAnvil({ args: ["--host", "0.0.0.0"] })).rejects.toThrow(/not allowed/);
    await expect(startAnvil({ args: ["-p", "8545"] })).rejects.toThrow(/not allowed/);
  });

  it("moves time, mines at a given timestamp, and reverts to a snapshot", async () => {
    const h0 = await a.head();
    await a.increaseTime(3_600);
    await a.mine();
    const h1 = await a.head();
    expect(h1.number).toBe(h0.number + 1n);
    expect(h1.timestamp - h0.timestamp).toBeGreaterThanOrEqual(3_600n);
    await a.mine(1, h1.timestamp + 100n);
    expect((await a.head()).timestamp).toBe(h1.timestamp + 100n);

    const snap = await a.snapshot();
    const before = await a.head();
    await a.mine(5);
    expect((await a.head()).number).toBe(before.number + 5n);
    expect(await a.revert(snap)).toBe(true);
    const after = await a.head();
    expect(after.number).toBe(before.number);
    expect(after.hash).toBe(before.hash);
  });

  it("holds transactions while automine is off", async () => {
    await a.setAutomine(false);
    try {
      const c = l1Clients(a.url, a.chainId, { deployer: a.accounts[5]!.privateKey });
      const hash = await c.deployer.sendTransaction({ to: a.accounts[6]!.address, value: 1n });
      expect(await a.pendingTransactions()).toContain(hash);
      await a.mine();
      expect((await c.public.getTransactionReceipt({ hash })).status).toBe("success");
    } finally {
      await a.setAutomine(true);
    }
  });

  it("stop() ends the process and frees the port", async () => {
    const c = await startAnvil();
    await c.stop();
    expect(() => process.kill(c.pid, 0)).toThrow();
    await expect(fetch(c.url, { method: "POST", body: "{}" })).rejects.toThrow();
    await c.stop(); // idempotent
  });
});

describe("deploy", () => {
  let c: Chain;
  beforeAll(async () => {
    c = await setupChain();
  });
  afterAll(async () => {
    await c?.anvil.stop();
  });

  it("wires the contracts as Deploy.s.sol does, for the sequencer's genesis", async () => {
    const k = contractsOf(c.d);
    const genesisRoot = bytesToHex(stateRoot(createGenesisState(GENESIS)));
    expect(c.d.genesisRoot).toBe(genesisRoot);
    expect((await k.rollup.read.batch([0n])).stateRoot).toBe(genesisRoot);
    expect(await k.rollup.read.nextBatchIndex()).toBe(1n);
    expect((await k.rollup.read.governance()).toLowerCase()).toBe(c.d.governance.toLowerCase());
    expect((await k.rollup.read.vault()).toLowerCase()).toBe(c.d.vault.toLowerCase());
    expect((await k.rollup.read.sequencer()).toLowerCase()).toBe(c.anvil.accounts[1]!.address.toLowerCase());
    expect((await k.vault.read.rollup()).toLowerCase()).toBe(c.d.rollup.toLowerCase());
    expect((await k.governance.read.rollup()).toLowerCase()).toBe(c.d.rollup.toLowerCase());
    expect((await k.governance.read.vault()).toLowerCase()).toBe(c.d.vault.toLowerCase());
    expect((await k.governance.read.owner()).toLowerCase()).toBe(c.anvil.accounts[0]!.address.toLowerCase());
    expect(await k.governance.read.delay()).toBe(DEFAULT_TIMELOCK_DELAY);
    // The dispute game, appointed at deployment with the one-step prover, clocks scaled to the window.
    expect((await k.rollup.read.disputeGame()).toLowerCase()).toBe(c.d.disputeGame.toLowerCase());
    const game = getContract({ address: c.d.disputeGame, abi: disputeGameAbi, client: c.d.clients.public });
    expect((await game.read.rollup()).toLowerCase()).toBe(c.d.rollup.toLowerCase());
    expect((await game.read.governance()).toLowerCase()).toBe(c.d.governance.toLowerCase());
    expect((await game.read.prover()).toLowerCase()).toBe(c.d.oneStepProver.toLowerCase());
    // The prover signs in this chain's and this Rollup's domain, and routes to every part.
    const prover = getContract({ address: c.d.oneStepProver, abi: oneStepProverAbi, client: c.d.clients.public });
    expect(await prover.read.DOMAIN_SEPARATOR()).toBe(domainSeparator({ domain: { name: "Crossmargin", version: "1", chainId: c.anvil.chainId, verifyingContract: c.d.rollup } }));
    expect(await prover.read.parts()).toHaveLength(ONE_STEP_PARTS.length);
    // Every operation type of the STF has its one-step proof.
    for (const [selector, name] of OP_TYPES.map(([n], i) => [i, n] as const)) expect(await prover.read.isSupported([selector]), name).toBe(true);
    expect(await prover.read.isSupported([OP_TYPES.length])).toBe(false);
    const dp = disputeParams(DEFAULT_PARAMS.challengeWindow);
    expect(await game.read.clockDuration()).toBe(dp.clockDuration);
    expect(await game.read.resolutionGrace()).toBe(dp.resolutionGrace);
    expect(await game.read.challengerBond()).toBe(dp.challengerBond);

    const p = DEFAULT_PARAMS;
    expect(await k.rollup.read.batchInterval()).toBe(p.batchInterval);
    expect(await k.rollup.read.maxBatchSize()).toBe(p.maxBatchSize);
    expect(await k.rollup.read.challengeWindow()).toBe(p.challengeWindow);
    expect(await k.rollup.read.inclusionDeadline()).toBe(p.inclusionDeadline);
    expect(await k.rollup.read.maxBatchGap()).toBe(p.maxBatchGap);
    expect(await k.rollup.read.exitWindow()).toBe(p.exitWindow);
    expect(await k.rollup.read.sequencerBond()).toBe(p.sequencerBond);
    expect(await k.rollup.read.forcedOpFee()).toBe(p.forcedOpFee);
    expect(await k.rollup.read.bondOf([c.d.sequencer])).toBe(p.sequencerBond);

    // Tokens: one per genesis asset, in order, the devnet's USDC (6) and WETH (18).
    expect(c.d.tokens).toHaveLength(GENESIS.assets.length);
    expect(await k.tokens[0]!.read.symbol()).toBe("USDC");
    expect(await k.tokens[0]!.read.decimals()).toBe(6);
    expect(await k.tokens[1]!.read.symbol()).toBe("WETH");
    expect(await k.tokens[1]!.read.decimals()).toBe(18);
    for (const [i, t] of c.d.tokens.entries()) expect((await k.vault.read.tokens([BigInt(i)])).toLowerCase()).toBe(t.toLowerCase());
  });

  it("gives Governance a shadow equal to the genesis STF values", async () => {
    const g = contractsOf(c.d).governance;
    expect(await g.read.stfScalar([1])).toBe(GENESIS.maxOracleAgeMs);
    expect(await g.read.stfScalar([2])).toBe(GENESIS.oracleBandPpm);
    expect(await g.read.stfScalar([3])).toBe(GENESIS.nonceWindowMs);
    expect(await g.read.stfScalar([4])).toBe(BigInt(GENESIS.oracleThreshold));
    expect(await g.read.stfScalar([30])).toBe(RISK_DEFAULTS.liquidationPenaltyPpm);
    expect(await g.read.marketCount()).toBe(BigInt(GENESIS.markets.length));
    expect(await g.read.assetCount()).toBe(BigInt(GENESIS.assets.length));
    for (const [m, market] of GENESIS.markets.entries()) {
      for (let t = 0; t < 4; t++) {
        const key = (BigInt(m) << 8n) | BigInt(t);
        expect(await g.read.tierImfPpm([key])).toBe(market.tiers[t]?.imfPpm ?? 0n);
        expect(await g.read.tierMmfPpm([key])).toBe(market.tiers[t]?.mmfPpm ?? 0n);
      }
    }
    for (const [a, asset] of GENESIS.assets.entries()) expect(await g.read.assetWeightPpm([BigInt(a)])).toBe(asset.weightPpm);
  });

  it("is the genesis the sequencer's op log starts from", () => {
    const core = openTestCore(tmpDb());
    try {
      expect(bytesToHex(core.log.getMeta("genesis_root")!)).toBe(c.d.genesisRoot);
    } finally {
      core.log.close();
    }
  });

  it("refuses a genesis whose risk values Governance's shadow would not equal", async () => {
    const clients = l1Clients(c.anvil.url, c.anvil.chainId, { deployer: c.anvil.accounts[7]!.privateKey });
    await expect(deploy({ clients, genesis: { ...GENESIS, risk: { liquidationPenaltyPpm: RISK_DEFAULTS.liquidationPenaltyPpm + 1n } } })).rejects.toThrow(/liquidationPenaltyPpm/);
  });
});

describe("abi.ts", () => {
  it("equals the ABIs of the current artifacts (regenerate: npx tsx sequencer/l1/gen-abi.ts)", () => {
    expect(readFileSync(ABI_PATH, "utf8")).toBe(renderAbis());
  });
});
