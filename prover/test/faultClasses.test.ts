/**
 * Root-level fault classes, each proven on anvil through the whole game with the real one-step
 * prover: a malicious sequencer posts a batch that lies in one way (prover/test/malicious.ts),
 * the verifier disputes it, the challenger opens the game and plays it from its own replay,
 * the lying sequencer defends with the roots its lie implies, and the step on the lying
 * operation convicts it; the batch is rolled back and the challenger paid. Classes:
 *   - a forged signature (a transfer whose signature was altered, claimed as executed);
 *   - an inflated withdrawal (the desk signed X; the root claims a withdrawal record of 1000·X);
 *   - a fill that breaks the maker's limit price (claimed as executed);
 *   - a wrong post-root right after a fill (good data, the root from the fill on is made up);
 *   - a wrong margin result: a withdrawal that breaks the desk's initial requirement, claimed paid;
 *   - a wrong liquidation result: a partial liquidation whose claimed state takes more from the
 *     liquidated desk than the STF's penalty.
 */
import type { Hex } from "viem";
import { afterEach, beforeEach, expect, it } from "vitest";
import type { SequencerCore } from "../../sequencer/core/sequencer.js";
import { decodeBatchData, encodeBatchData } from "../../sequencer/codec/index.js";
import { DEVNET_ORACLE_KEY } from "../../sequencer/devnet.js";
import { recoverOpNative } from "../../sequencer/ingress/recover.js";
import { disputeGameAbi, rollupAbi } from "../../sequencer/l1/abi.js";
import { contractsOf } from "../../sequencer/l1/deploy.js";
import { stateAtL1Batch } from "../../sequencer/l1/proofs.js";
import { type Chain, GENESIS, fundAccounts } from "../../sequencer/l1/test/helpers.js";
import { bytesToHex } from "../../sequencer/state/bytes.js";
import { FLAG_SELL, MODE_CROSS, TIF_IOC, TIF_POST_ONLY, TIF_SHIFT } from "../../sequencer/state/constants.js";
import { applyOp, type Op, recoverOp, type SequencedOp, signDigest, signingDigest, stateRoot } from "../../sequencer/state/index.js";
import type { Fill, SignedOp, Transfer, Withdraw } from "../../sequencer/state/ops.js";
import type { Recovered } from "../../sequencer/state/stf.js";
import { type CrossmarginState, setBalance } from "../../sequencer/state/state.js";
import { moveToWithdrawal } from "../../sequencer/state/ops/withdraw.js";
import { restoreState, serializeState } from "../../sequencer/storage/snapshot.js";
import { type GameContext, gameContext, postedBatch } from "../game.js";
import type { Verifier } from "../verifier.js";
import type { OneStepCase } from "../witness.js";
import { closeTestbed, honestBatch, openTestbed, testPlayer } from "./helpers.js";
import { postLie } from "./malicious.js";

const USD = 1_000_000n;
let c: Chain;
let core: SequencerCore;
let v: Verifier;
beforeEach(async () => {
  ({ c, core, v } = await openTestbed());
});
afterEach(() => closeTestbed({ c, core, v }));

let nonce = 0n;
const nextNonce = () => (nonce = BigInt(Date.now()) > nonce ? BigInt(Date.now()) : nonce + 1n);

/** Submits `op` signed by `key` to the core (it must be accepted). */
async function signed(op: SignedOp, key: Hex) {
  op.signature = signDigest(signingDigest(op, c.domain), key);
  const out = core.submit(op, recoverOp(op, c.domain));
  expect(out.record.receipt.ok, out.record.receipt.reason).toBe(true);
  await out.durable;
  return out;
}

/**
 * The roots a liar claims: `ops` replayed from `pre` with `signers` forced where given (it signs
 * for nobody, it just says so), and `tamper(k, state)` run after operation k (the liar's own
 * idea of that operation's effect).
 */
function claimedRoots(pre: CrossmarginState, ops: SequencedOp[], forced: Map<number, Recovered> = new Map(), tamper: (k: number, s: CrossmarginState) => void = () => {}): Hex[] {
  const s = restoreState(serializeState(pre), stateRoot(pre));
  const roots: Hex[] = [bytesToHex(stateRoot(s)) as Hex];
  ops.forEach((o, k) => {
    applyOp(s, o.op, { timestamp: o.timestamp, ...(forced.get(k) ?? recoverOpNative(o.op, c.domain)) });
    tamper(k, s);
    roots.push(bytesToHex(stateRoot(s)) as Hex);
  });
  return roots;
}

const garbage = (k: number) => `0x${k.toString(16).padStart(2, "0").repeat(32)}` as Hex;

/** A lying batch: its operations, the roots the liar claims after each, and the operation the game must come down to. */
interface LieCase {
  name: string;
  data: SequencedOp[];
  roots: Hex[];
  at: number;
}

/** Signs and submits an oracle price for market 0 (accepted). */
async function btcPrice(price: bigint, timestamp: bigint) {
  const upd = { type: "OracleUpdate" as const, timestamp, prices: [{ kind: 0, id: 0, price }], signatures: [] as Hex[] };
  upd.signatures = [signDigest(signingDigest(upd, c.domain), DEVNET_ORACLE_KEY)];
  const o = core.submit(upd, recoverOp(upd, c.domain));
  expect(o.record.receipt.ok, o.record.receipt.reason).toBe(true);
  await o.durable;
}

/** L1 batch 1, honest: two funded accounts, posted and verified. */
async function fundedAndPosted() {
  await fundAccounts(core, c, 2);
  core.sealBatch();
  const h0 = honestBatch(core, 0);
  await postLie(c, h0.data, h0);
  while ((await v.round()) > 0);
}

/**
 * Posts each lie as L1 batch 2 in turn; each time the verifier disputes, the challenger's game
 * against the liar (defending with its own roots) must end at exactly the lying operation with
 * the challenger winning and the batch rolled back. Then the honest batch `good` is posted and
 * verified.
 */
async function convictEach(cases: LieCase[], pre: CrossmarginState, good: ReturnType<typeof honestBatch>) {
  const pub = c.d.clients.public;
  const domain = { chainId: BigInt(c.anvil.chainId), verifyingContract: c.d.rollup };
  const challenger = testPlayer(c.d, c.anvil.accounts[8]!.privateKey, async (i) => gameContext(await v.stateAfter(i - 1), await postedBatch(pub, c.d.rollup, c.d.fromBlock, i), domain));
  const seqKey = c.anvil.accounts[1]!.privateKey;
  const k = contractsOf(c.d, c.d.clients.sequencer);
  for (const x of cases) {
    const data = encodeBatchData(x.data);
    const n = x.roots.length - 1;
    expect(x.roots[n], x.name).not.toBe(claimedRoots(pre, x.data)[n]); // it is a lie
    expect(await postLie(c, data, { newStateRoot: x.roots[n]!, opCount: BigInt(n), queuePosition: good.queuePosition }), x.name).toBe(2);
    while ((await v.round()) > 0);
    expect(v.verdict(2), x.name).toMatchObject({ status: "dispute", reasons: ["root_mismatch"] });
    // The liar defends with the roots its lie implies; it never has a step in its favour.
    const liar = testPlayer(c.d, seqKey, async (i): Promise<GameContext> => ({
      ...(await postedBatch(pub, c.d.rollup, c.d.fromBlock, i)),
      trace: { roots: x.roots, caseAt: (j) => ({ preRoot: x.roots[j]!, postRoot: garbage(255) }) as unknown as OneStepCase },
    }));
    const id = await challenger.open(2);
    for (let round = 0; round < 100; round++) {
      const [a, b] = [await challenger.playWhileMoving(id), await liar.playWhileMoving(id)];
      if (a === "over" || b === "over") break;
      if (a === "waiting" && b === "waiting") throw new Error(`${x.name}: game ${id} stuck`);
    }
    const g = await challenger.state(id);
    expect(g.status, x.name).toBe("ChallengerWon");
    // The single operation the game came down to is the lying one, and the one-step proof of it
    // decided (not a data fault or a clock).
    expect(g.lo, x.name).toBe(x.at);
    const [resolved] = await pub.getContractEvents({ address: c.d.disputeGame, abi: disputeGameAbi, eventName: "GameResolved", args: { id }, fromBlock: c.d.fromBlock });
    expect(resolved?.args.outcome, x.name).toBe(0); // Outcome.StepDisproved
    expect(await pub.readContract({ address: c.d.rollup, abi: rollupAbi, functionName: "nextBatchIndex" }), x.name).toBe(2n);
    expect((await pub.waitForTransactionReceipt({ hash: await k.rollup.write.postBond({ value: c.d.params.sequencerBond }), pollingInterval: 20 })).status).toBe("success");
  }
  expect(await challenger.withdraw()).toBeGreaterThan(BigInt(cases.length) * c.d.params.sequencerBond);

  // The honest batch posted at last: verified.
  await postLie(c, good.data, good);
  while ((await v.round()) > 0);
  expect(v.status()).toMatchObject({ verifiedThrough: 2, disputed: 0 });
}

it("forged signature, inflated withdrawal, limit-breaking fill, wrong root after a fill: each convicted at the one-step proof", async () => {
  await fundedAndPosted();
  // Batch 2 (sealed, never posted honestly until the end): a price, a maker's ask, a taker's
  // bid that fills it, a withdrawal and a transfer.
  const [alice, bob] = [c.depositors[0]!.privateKey, c.depositors[1]!.privateKey];
  await btcPrice(60_000n * USD, BigInt(Date.now() - 100));
  await signed({ type: "PlaceOrder", account: 0, market: 0, flags: FLAG_SELL | (TIF_POST_ONLY << TIF_SHIFT), price: 60_000n * USD, size: 1_000_000n, expiry: 0n, clientOrderId: 1n, nonce: nextNonce(), signature: "0x" }, alice);
  const take = await signed({ type: "PlaceOrder", account: 1, market: 0, flags: TIF_IOC << TIF_SHIFT, price: 60_000n * USD, size: 1_000_000n, expiry: 0n, clientOrderId: 2n, nonce: nextNonce(), signature: "0x" }, bob);
  expect(take.fills).toHaveLength(1);
  await signed({ type: "Withdraw", account: 1, asset: 0, amount: 1_000_000n, nonce: nextNonce(), signature: "0x" }, bob);
  await signed({ type: "Transfer", account: 0, to: 1, asset: 0, amount: 5_000n, nonce: nextNonce(), signature: "0x" }, alice);
  const idx = core.sealBatch()!.index;
  const good = honestBatch(core, idx);
  const ops = decodeBatchData(good.data);
  const at = (type: string) => ops.findIndex((s) => s.op.type === type);
  const [fillAt, withdrawAt, transferAt] = [at("Fill"), at("Withdraw"), at("Transfer")];
  expect(Math.min(fillAt, withdrawAt, transferAt)).toBeGreaterThan(0);
  const pre = stateAtL1Batch(core.log, GENESIS, 1);
  const honestRoots = claimedRoots(pre, ops);
  expect(honestRoots[ops.length]).toBe(good.newStateRoot);

  const withOp = (k: number, op: Op): SequencedOp[] => ops.map((s, j) => (j === k ? { ...s, op } : s));
  const cases: LieCase[] = [
    (() => {
      // The transfer's signature altered: it recovers to nobody who may act for the account.
      const t = ops[transferAt]!.op as Transfer;
      const sig = t.signature.slice(0, 10) + (t.signature[10] === "1" ? "2" : "1") + t.signature.slice(11);
      return { name: "forged signature", data: withOp(transferAt, { ...t, signature: sig as Hex }), roots: honestRoots, at: transferAt };
    })(),
    (() => {
      // The desk signed 1 USDC; the liar's root records 1,000 USDC (as if the desk had signed that).
      const w = ops[withdrawAt]!.op as Withdraw;
      const roots = claimedRoots(pre, withOp(withdrawAt, { ...w, amount: w.amount * 1000n }), new Map([[withdrawAt, { signer: c.depositors[1]!.address.toLowerCase() as Hex }]]));
      return { name: "inflated withdrawal", data: ops, roots, at: withdrawAt };
    })(),
    (() => {
      // The fill at 61,000: above the taker's 60,000 limit.
      const f = ops[fillAt]!.op as Fill;
      return { name: "fill breaking the taker's limit", data: withOp(fillAt, { ...f, price: 61_000n * USD }), roots: honestRoots, at: fillAt };
    })(),
    { name: "wrong post-root after a fill", data: ops, roots: honestRoots.map((r, k) => (k > fillAt ? garbage(k) : r)), at: fillAt },
  ];

  await convictEach(cases, pre, good);
}, 240_000);

it("a wrong margin result and a wrong liquidation result: each convicted at the one-step proof", async () => {
  await fundedAndPosted();
  // Batch 2: bob, cross-margined, buys 0.3 BTC at 60,000 from alice with 1,000 USDC (18,000
  // notional, 5% initial: 900); BTC falls to 57,000, leaving bob 100 of equity against a 427.5
  // maintenance requirement; alice liquidates him.
  const [alice, bob] = [c.depositors[0]!.privateKey, c.depositors[1]!.privateKey];
  await btcPrice(60_000n * USD, BigInt(Date.now() - 100));
  await signed({ type: "SetMarginMode", account: 1, market: 0, mode: MODE_CROSS, nonce: nextNonce(), signature: "0x" }, bob);
  await signed({ type: "PlaceOrder", account: 0, market: 0, flags: FLAG_SELL | (TIF_POST_ONLY << TIF_SHIFT), price: 60_000n * USD, size: 30_000_000n, expiry: 0n, clientOrderId: 1n, nonce: nextNonce(), signature: "0x" }, alice);
  const take = await signed({ type: "PlaceOrder", account: 1, market: 0, flags: TIF_IOC << TIF_SHIFT, price: 60_000n * USD, size: 30_000_000n, expiry: 0n, clientOrderId: 2n, nonce: nextNonce(), signature: "0x" }, bob);
  expect(take.fills).toHaveLength(1);
  await btcPrice(57_000n * USD, BigInt(Date.now() - 50));
  // A withdrawal bob cannot make (it would leave him below his initial requirement): the
  // sequencer refuses it, so it is not in the honest batch; the liar's batch carries it.
  const withdraw: Withdraw = { type: "Withdraw", account: 1, asset: 0, amount: 50n * USD, nonce: nextNonce(), signature: "0x" };
  withdraw.signature = signDigest(signingDigest(withdraw, c.domain), bob);
  expect(() => core.submit(withdraw, recoverOp(withdraw, c.domain))).toThrow(expect.objectContaining({ reason: "INSUFFICIENT_MARGIN" }));
  const liq = await signed({ type: "Liquidate", account: 0, target: 1, market: 0, nonce: nextNonce(), signature: "0x" }, alice);
  const liquidation = liq.record.receipt.events.find((e) => e.kind === "Liquidation");
  expect(liquidation, "bob partially liquidated").toMatchObject({ kind: "Liquidation", account: 1, liquidator: 0 });
  const idx = core.sealBatch()!.index;
  const good = honestBatch(core, idx);
  const ops = decodeBatchData(good.data);
  const liquidateAt = ops.findIndex((s) => s.op.type === "Liquidate");
  expect(liquidateAt).toBeGreaterThan(0);
  const pre = stateAtL1Batch(core.log, GENESIS, 1);
  expect(claimedRoots(pre, ops)[ops.length]).toBe(good.newStateRoot);

  // The refused withdrawal, inserted before the liquidation at the same timestamp.
  const withWithdrawal = [...ops.slice(0, liquidateAt), { timestamp: ops[liquidateAt]!.timestamp, op: withdraw }, ...ops.slice(liquidateAt)];
  const cases: LieCase[] = [
    {
      name: "withdrawal breaking the initial requirement, claimed paid",
      data: withWithdrawal,
      // The liar's root after it: bob debited and a withdrawal record for him (as if checkDebit had passed).
      roots: claimedRoots(pre, withWithdrawal, new Map(), (k, s) => {
        if (k === liquidateAt) moveToWithdrawal(s, s.accounts[1]!, 0, withdraw.amount, []);
      }),
      at: liquidateAt,
    },
    {
      name: "liquidation taking more than the penalty",
      data: ops,
      // The liar's root after the liquidation: 1 USDC more taken from bob into the insurance fund.
      roots: claimedRoots(pre, ops, new Map(), (k, s) => {
        if (k !== liquidateAt) return;
        setBalance(s, s.accounts[1]!, 0, s.accounts[1]!.balances[0]! - USD);
        s.insuranceFund[0]! += USD;
        s.topDirty = true;
      }),
      at: liquidateAt,
    },
  ];
  await convictEach(cases, pre, good);
}, 240_000);
