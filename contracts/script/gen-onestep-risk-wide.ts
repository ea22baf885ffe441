/**
 * Worst-case Liquidate and Deleverage vectors for the one-step prover: a target holding
 * positions in all 64 markets (cross, cross under portfolio margin, or isolated), pushed below
 * maintenance or into bankruptcy by oracle moves, liquidated (or deleveraged) by its
 * counterparty. Their gas bounds the one-step proof of the risk operations, as
 * `buildWideVectors` does for the others (contracts/test/fixtures/onestep-wide-risk.json,
 * replayed by contracts/test/OneStepRisk.t.sol `test_wide`; kept up to date by
 * contracts/test/ts/onestep-risk-wide.test.ts).
 *
 *   npx tsx contracts/script/gen-onestep-risk-wide.ts
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { applyWithWitness } from "../../prover/witness.js";
import { bytesToHex } from "../../sequencer/state/bytes.js";
import { FLAG_SELL, MODE_CROSS } from "../../sequencer/state/constants.js";
import { createGenesisState } from "../../sequencer/state/genesis.js";
import { crossHealth } from "../../sequencer/state/margin.js";
import type { Hex, Op } from "../../sequencer/state/ops.js";
import type { Receipt } from "../../sequencer/state/receipt.js";
import { netValue } from "../../sequencer/state/risk.js";
import { recoverOp, signDigest, signingDigest } from "../../sequencer/state/signing.js";
import { type CrossmarginState, markMarket } from "../../sequencer/state/state.js";
import { applyOp } from "../../sequencer/state/stf.js";
import { testGenesis, USD } from "../../sequencer/state/test/fixtures.js";
import { ONESTEP_DOMAIN, ONESTEP_FIXTURE_DIR, type OneStepVector, renderFixture, sixtyFourMarkets, vectorOf } from "./gen-onestep-fixtures.js";
import { largestRisk } from "./onestep-draw-risk.js";

const KEYS = [0, 1].map((i) => bytesToHex(keccak_256(new TextEncoder().encode(`crossmargin one-step risk wide ${i}`))) as Hex);
const OWNERS = KEYS.map((k) => bytesToHex(keccak_256(secp256k1.getPublicKey(Buffer.from(k.slice(2), "hex"), false).subarray(1)).subarray(12)) as Hex);
const NOW = 2_000n;
const PRICE = 60_000n * USD;

type Mode = "cross" | "portfolio" | "isolated";

/**
 * Account 0 (the target) trades against account 1 (well funded) in all 64 markets: long
 * everywhere, or long and short by turns under portfolio margin (one correlation group);
 * then every price moves 0.1% a step against it until it is below maintenance (or bankrupt).
 */
function wideRiskState(mode: Mode, bankrupt: boolean): { state: CrossmarginState; nonce: bigint } {
  const state = createGenesisState(testGenesis({ markets: sixtyFourMarkets(PRICE) }));
  let nonce = NOW;
  const apply = (op: Op, signer: Hex | null = null): Receipt => {
    const r = applyOp(state, op, { timestamp: NOW, signer });
    if (!r.ok) throw new Error(`wide risk state: ${op.type} refused: ${r.reason}`);
    return r;
  };
  const deposit = (account: number, asset: number, amount: bigint) =>
    apply({ type: "Deposit", queueIndex: state.l1.nextIndex, account, owner: OWNERS[account]!, asset, amount });
  deposit(0, 0, (mode === "isolated" ? 400_000n : 15_000n) * USD);
  deposit(1, 0, 100_000_000n * USD);
  deposit(0, 1, 10n ** 19n); // WETH
  if (mode === "portfolio") apply({ type: "SetPortfolioMargin", account: 0, nonce: ++nonce, enabled: 1, signature: "0x" }, OWNERS[0]!);
  const slot = (r: Receipt) => {
    const e = r.events.find((x) => x.kind === "OrderPlaced");
    if (e?.kind !== "OrderPlaced") throw new Error("wide risk state: no slot");
    return e.slot;
  };
  for (let m = 0; m < 64; m++) {
    for (let a = 0; a < 2; a++) {
      if (mode !== "isolated" || a === 1) apply({ type: "SetMarginMode", account: a, nonce: ++nonce, market: m, mode: MODE_CROSS, signature: "0x" }, OWNERS[a]!);
    }
    const size = 1_000_000n * BigInt(5 + (m % 7));
    const long = mode !== "portfolio" || m % 2 === 0;
    const order = (account: number, sell: boolean) =>
      apply(
        { type: "PlaceOrder", account, nonce: ++nonce, market: m, flags: sell ? FLAG_SELL : 0, price: PRICE, size, expiry: 0n, clientOrderId: 0n, signature: "0x" },
        OWNERS[account]!,
      );
    const made = order(1, long);
    const took = order(0, !long);
    apply({ type: "Fill", makerAccount: 1, makerSlot: slot(made), takerAccount: 0, takerSlot: slot(took), price: PRICE, size });
  }
  const target = state.accounts[0]!;
  for (let step = 1n; step < 1_000n; step++) {
    for (let m = 0; m < 64; m++) {
      const mk = state.markets[m]!;
      mk.oraclePrice = PRICE + ((target.positions[m]!.size > 0n ? -1n : 1n) * PRICE * step) / 1_000n;
      mk.oracleTimestamp = NOW;
      markMarket(mk);
    }
    state.oracleEpoch++;
    state.topDirty = true;
    const h = crossHealth(state, target, NOW, false);
    // Isolated positions (10% initial, 5% maintenance) are all under after a 6% move.
    const under = mode === "isolated" ? step > 60n : h.equity < h.maintenance;
    if (bankrupt ? netValue(state, target) < 0n : under) break;
  }
  return { state, nonce };
}

/** contracts/test/fixtures/onestep-wide-risk.json */
export const WIDE_RISK_FIXTURE_PATH = join(ONESTEP_FIXTURE_DIR, "onestep-wide-risk.json");

export function buildWideRiskVectors(): OneStepVector[] {
  const cases: [Mode, boolean, "Liquidate" | "Deleverage"][] = [
    ["cross", false, "Liquidate"],
    ["cross", true, "Liquidate"],
    ["portfolio", false, "Liquidate"],
    ["isolated", false, "Liquidate"],
    ["cross", true, "Deleverage"],
  ];
  return cases.map(([mode, bankrupt, type]) => {
    const { state, nonce } = wideRiskState(mode, bankrupt);
    let op: Op;
    if (type === "Liquidate") {
      // A bankrupt target is liquidated only while the insurance fund covers its deficit.
      if (bankrupt) state.insuranceFund[0] = -netValue(state, state.accounts[0]!) * 2n;
      const market = mode === "isolated" ? 6 : largestRisk(state, 0);
      const unsigned = { type: "Liquidate" as const, account: 1, nonce: nonce + 10n, target: 0, market, signature: "0x" as Hex };
      op = { ...unsigned, signature: signDigest(signingDigest(unsigned, ONESTEP_DOMAIN), KEYS[1]!) };
    } else {
      const held = state.accounts[0]!.positions[6]!.size;
      op = { type: "Deleverage", target: 0, market: 6, counterparty: 1, size: held < 0n ? -held : held };
    }
    return vectorOf(`wide ${mode}${bankrupt ? " bankrupt" : ""} ${type}`, applyWithWitness(state, { timestamp: NOW + 1n, op }, recoverOp(op, ONESTEP_DOMAIN)));
  });
}

export function renderWideRiskVectors(): string {
  return renderFixture("Generated by contracts/script/gen-onestep-risk-wide.ts; do not edit.", buildWideRiskVectors());
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = renderWideRiskVectors();
  writeFileSync(WIDE_RISK_FIXTURE_PATH, text);
  const v = JSON.parse(text) as { vectors: OneStepVector[] };
  console.log(`wide-risk: ${v.vectors.map((x) => `${x.name} ${x.accepted ? "accepted" : x.reason}`).join(", ")}`);
}
