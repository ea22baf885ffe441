/**
 * Golden vectors for the one-step prover (contracts/test/OneStepProver.t.sol): random single
 * operations, accepted and refused, on random states, each with the pre-root, the
 * operation's `SequencedOp` bytes, the witness prover/witness.ts builds, and the post-root
 * the TypeScript STF computes. One file per operation type, contracts/test/fixtures/onestep-<type>.json.
 *
 * States come from a seeded history: accounts whose owners hold known keys, then the STF
 * property tests' random operation mix (sequencer/state/test/random.ts: orders, fills,
 * oracle updates, liquidations...), then session keys the generator can sign with. The
 * operation under test is then drawn per type with real EIP-712 signatures (and broken
 * ones: strangers, malformed and high-s signatures, replayed or stale nonces, regressing
 * timestamps, unknown accounts...). Everything is seeded: the same seed gives the same bytes,
 * which contracts/test/ts/onestep-fixture.test.ts checks against the committed files.
 *
 *   npx tsx contracts/script/gen-onestep-fixtures.ts
 */
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { applyWithWitness, type OneStepCase } from "../../prover/witness.js";
import { bytesToHex } from "../../sequencer/state/bytes.js";
import { CANCEL_BY_CLIENT_ID, FLAG_REDUCE_ONLY, FLAG_SELL, ORDER_SLOTS, ZERO_ADDRESS } from "../../sequencer/state/constants.js";
import { createGenesisState } from "../../sequencer/state/genesis.js";
import type { Hex, Op, SequencedOp, SignedOp } from "../../sequencer/state/ops.js";
import { decodeOp, encodeOp } from "../../sequencer/state/codec.js";
import { recoverOp, type SigningDomain, signDigest, signingDigest } from "../../sequencer/state/signing.js";
import { crossHealth } from "../../sequencer/state/margin.js";
import type { CrossmarginState } from "../../sequencer/state/state.js";
import { applyOp } from "../../sequencer/state/stf.js";
import { PARAM_KEYS } from "../../sequencer/state/ops/paramUpdate.js";
import { ORACLE, testGenesis, USD } from "../../sequencer/state/test/fixtures.js";
import { RandomOps, Rng } from "../../sequencer/state/test/random.js";
import { drawParamUpdate } from "./onestep-draw-params.js";
import { drawDeleverage, drawLiquidate } from "./onestep-draw-risk.js";

const here = dirname(fileURLToPath(import.meta.url));
export const ONESTEP_FIXTURE_DIR = join(here, "../test/fixtures");

/** The signing domain of the vectors; OneStepProver.t.sol deploys the prover with it. */
export const ONESTEP_DOMAIN: SigningDomain = {
  chainId: 31_337n,
  verifyingContract: "0x5fbdb2315678afecb367f032d93f642f64180aa3",
};

/** Operation types the Solidity prover executes so far, and vectors generated for each. */
export const ONESTEP_TYPES = [
  "Deposit",
  "OracleUpdate",
  "FundingTick",
  "ForcedWithdraw",
  "Withdraw",
  "Transfer",
  "GrantSessionKey",
  "RevokeSessionKey",
  "CancelOrder",
  "CancelAll",
  "PlaceOrder",
  "Fill",
  "SetMarginMode",
  "AdjustIsolatedMargin",
  "SetPortfolioMargin",
  "ForcedClose",
  "ParamUpdate",
  "Liquidate",
  "Deleverage",
] as const;
export type OneStepType = (typeof ONESTEP_TYPES)[number];
export const VECTORS_PER_TYPE = 40;

/**
 * Each type's random stream is seeded by its place in this fixed list (the STF's operation
 * order, supported or not), so adding a type to ONESTEP_TYPES leaves every other type's
 * committed vectors as they are.
 */
const SEED_ORDER: readonly string[] = [
  "Deposit", "OracleUpdate", "FundingTick", "ForcedWithdraw", "Withdraw", "Transfer", "GrantSessionKey",
  "RevokeSessionKey", "CancelOrder", "CancelAll", "PlaceOrder", "Fill", "SetMarginMode", "AdjustIsolatedMargin",
  "SetPortfolioMargin", "ForcedClose", "ParamUpdate", "Liquidate", "Deleverage",
];

const ACCOUNTS = 4;
const SESSION_KEYS_KNOWN = 6;

function privateKey(label: string, i: number): Hex {
  let k = keccak_256(new TextEncoder().encode(`crossmargin one-step ${label} ${i}`));
  // Stay inside the curve order (a keccak output is below it with overwhelming probability).
  if (k[0] === 0xff) k = keccak_256(k);
  return bytesToHex(k) as Hex;
}
function addressOf(key: Hex): Hex {
  const pub = secp256k1.getPublicKey(Buffer.from(key.slice(2), "hex"), false);
  return bytesToHex(keccak_256(pub.subarray(1)).subarray(12)) as Hex;
}

const OWNER_KEYS = Array.from({ length: ACCOUNTS + 1 }, (_, i) => privateKey("owner", i));
const OWNERS = OWNER_KEYS.map(addressOf);
const SESSION_KEYS_PRIV = Array.from({ length: SESSION_KEYS_KNOWN }, (_, i) => privateKey("session", i));
const SESSION_ADDRS = SESSION_KEYS_PRIV.map(addressOf);
const STRANGER_KEY = privateKey("stranger", 0);
const ORACLE_KEYS = Array.from({ length: 3 }, (_, i) => privateKey("oracle", i));
const ORACLE_ADDRS = ORACLE_KEYS.map(addressOf);

/** A random state: funded accounts with known keys, a random history, granted session keys. */
function randomState(rng: Rng): { state: CrossmarginState; now: bigint; nonce: bigint } {
  // The history's oracle updates come from the test feeder (ORACLE); the vectors' are signed
  // by keys the generator holds. A threshold of 2 starves the history of prices (stale markets).
  const state = createGenesisState(
    testGenesis({
      oracleSigners: [ORACLE, ...ORACLE_ADDRS],
      oracleThreshold: rng.chance(0.8) ? 1 : 2,
      risk: { fundingIntervalMs: rng.chance(0.7) ? 60_000n : 3_600_000n },
    }),
  );
  let now = 1_000n;
  const apply = (op: Op, signer: Hex | null = null) => {
    applyOp(state, op, { timestamp: now, signer });
  };
  for (let a = 0; a < ACCOUNTS; a++) {
    const cash = rng.chance(0.5) ? 1_000_000n * USD : 20_000n * USD;
    apply({ type: "Deposit", queueIndex: state.l1.nextIndex, account: a, owner: OWNERS[a]!, asset: 0, amount: cash });
    if (rng.chance(0.5)) apply({ type: "Deposit", queueIndex: state.l1.nextIndex, account: a, owner: OWNERS[a]!, asset: 1, amount: 10n ** 19n });
  }
  if (rng.chance(0.8)) {
    // The last account is the protocol's backstop (ForcedClose's counterparty); set on L1.
    const value = bytesToHex(new Uint8Array(32).map((_, i) => (i === 0 ? ACCOUNTS - 1 : 0))) as Hex;
    apply({ type: "ParamUpdate", queueIndex: state.l1.nextIndex, key: PARAM_KEYS.BACKSTOP_ACCOUNT, target: 0, value });
  }
  const history = new RandomOps(rng, ACCOUNTS);
  const steps = rng.int(120);
  for (let i = 0; i < steps; i++) {
    const s = history.next(state);
    applyOp(state, s.op, s.ctx);
  }
  now = history.now > state.clock ? history.now : state.clock;
  let nonce = now;
  for (let a = 0; a < ACCOUNTS; a++) {
    const grants = rng.int(4);
    for (let g = 0; g < grants; g++) {
      nonce += 1n;
      const key = SESSION_ADDRS[rng.int(SESSION_KEYS_KNOWN)]!;
      const expiry = rng.chance(0.2) ? now + 1n + rng.big(10n) : now + 1_000n + rng.big(100_000n);
      apply({ type: "GrantSessionKey", account: a, nonce, key, expiry, signature: "0x" }, OWNERS[a]!);
    }
  }
  // Resting orders (inside the oracle band, away from the touch) for the cancels to find.
  for (let a = 0; a < ACCOUNTS; a++) {
    const orders = rng.int(4);
    for (let k = 0; k < orders; k++) {
      const market = rng.int(state.markets.length);
      const m = state.markets[market]!;
      const sell = rng.chance(0.5);
      const away = (m.oraclePrice * BigInt(5 + rng.int(10))) / 100n;
      const raw = sell ? m.oraclePrice + away : m.oraclePrice - away;
      const price = raw - (raw % m.tickSize);
      const size = m.lotSize * (1n + rng.big(20n));
      const expiry = rng.chance(0.2) ? now + 1n + rng.big(3_000n) : 0n;
      nonce += 1n;
      apply(
        { type: "PlaceOrder", account: a, nonce, market, flags: sell ? FLAG_SELL : 0, price, size, expiry, clientOrderId: 1n + rng.big(5n), signature: "0x" },
        OWNERS[a]!,
      );
    }
  }
  return { state, now, nonce };
}

/** Signs `op` with `key` (or breaks the signature), as the sequencer would receive it. */
function sign<T extends SignedOp>(rng: Rng, op: T, key: Hex): T {
  const digest = signingDigest(op, ONESTEP_DOMAIN);
  let sig = signDigest(digest, key);
  const roll = rng.int(100);
  if (roll < 3) {
    sig = bytesToHex(new Uint8Array(65).map(() => rng.int(256))) as Hex; // garbage
  } else if (roll < 6) {
    // The malleable twin (s' = n - s, v flipped): recovers the same key, refused as high-s.
    const b = Buffer.from(sig.slice(2), "hex");
    const n = secp256k1.Point.CURVE().n;
    const s = BigInt(`0x${b.subarray(32, 64).toString("hex")}`);
    b.set(Buffer.from((n - s).toString(16).padStart(64, "0"), "hex"), 32);
    b[64] = b[64] === 27 ? 28 : 27;
    sig = bytesToHex(b) as Hex;
  } else if (roll < 9) {
    const b = Buffer.from(sig.slice(2), "hex");
    b[64] = b[64]! - 27; // v as 0/1: accepted
    sig = bytesToHex(b) as Hex;
  }
  return { ...op, signature: sig };
}

/** Who signs an account operation: mostly the owner, sometimes a session key or a stranger. */
function signerKey(rng: Rng, state: CrossmarginState, account: number, sessionAllowed: boolean): Hex {
  const r = rng.int(100);
  if (r < 8) return STRANGER_KEY;
  if (sessionAllowed && r < 45) {
    const acct = state.accounts[account];
    const granted = acct ? SESSION_KEYS_PRIV.filter((_, i) => acct.sessionKeys.some((k) => k.key === SESSION_ADDRS[i])) : [];
    return granted.length > 0 ? rng.pick(granted) : rng.pick(SESSION_KEYS_PRIV);
  }
  return OWNER_KEYS[Math.min(account, ACCOUNTS)]!;
}

function pickNonce(rng: Rng, state: CrossmarginState, account: number, now: bigint, fresh: bigint): bigint {
  const r = rng.int(100);
  const used = state.accounts[account]?.nonces.filter((n) => n > 0n) ?? [];
  if (r < 5 && used.length > 0) return rng.pick(used); // replay
  if (r < 8) return now + state.params.nonceWindowMs + 1n + rng.big(1000n); // outside the window
  if (r < 10) return 0n;
  if (r < 13) return 1n + rng.big(now); // old: often below the remembered ones
  return fresh;
}

function pickAsset(rng: Rng): number {
  return rng.chance(0.08) ? 2 + rng.int(3) : rng.chance(0.7) ? 0 : 1;
}

/** An amount to take out: mostly within the balance, sometimes all of it, more, or nothing. */
function pickDebit(rng: Rng, state: CrossmarginState, account: number, asset: number, now: bigint): bigint {
  const acct = state.accounts[account];
  const balance = acct?.balances[asset] ?? 0n;
  if (acct !== undefined && asset === 0 && acct.openMarkets.length > 0 && rng.chance(0.7)) {
    // At the initial-margin edge of an account with open positions: the rounding decides.
    const h = crossHealth(state, acct, now);
    const edge = h.equity - h.initial + BigInt(rng.int(5) - 2);
    if (edge > 0n) return edge <= balance ? edge : balance - BigInt(rng.int(3));
  }
  const r = rng.int(100);
  if (r < 5) return 0n;
  if (r < 15) return balance > 0n ? balance : 1n;
  if (r < 22) return balance + 1n + rng.big(1000n);
  if (r < 27) return (1n << 127n) + rng.big(1n << 126n);
  return balance > 1n ? 1n + rng.big(balance) : 1n + rng.big(1000n);
}

/** An account with open positions when there is one (margin checks then matter). */
function tradingAccount(rng: Rng, state: CrossmarginState): number {
  const trading = state.accounts.flatMap((a, i) => (a.openMarkets.length > 0 ? [i] : []));
  return trading.length > 0 ? rng.pick(trading) : pickAccount(rng, state);
}

function pickAccount(rng: Rng, state: CrossmarginState): number {
  return rng.chance(0.05) ? state.accounts.length + rng.int(3) : rng.int(state.accounts.length);
}

function drawOp(rng: Rng, type: OneStepType, state: CrossmarginState, now: bigint, fresh: bigint): Op {
  const account =
    rng.chance(type === "ForcedClose" ? 0.85 : 0.5) && (type === "Withdraw" || type === "Transfer" || type === "ForcedWithdraw" || type === "ForcedClose")
      ? tradingAccount(rng, state)
      : pickAccount(rng, state);
  const nonce = pickNonce(rng, state, account, now, fresh);
  switch (type) {
    case "Deposit": {
      const n = state.accounts.length;
      const target = rng.chance(0.3) ? n : rng.chance(0.1) ? n + 1 + rng.int(3) : rng.int(n);
      const who = rng.chance(0.1) ? OWNERS[ACCOUNTS]! : rng.chance(0.03) ? ZERO_ADDRESS : (OWNERS[target] ?? OWNERS[ACCOUNTS]!);
      const asset = rng.chance(0.1) ? 2 + rng.int(6) : rng.int(2);
      const amount = rng.chance(0.05) ? (1n << 127n) + rng.big(1n << 126n) : rng.chance(0.05) ? 0n : 1n + rng.big(10n ** 12n);
      const queueIndex = state.l1.nextIndex + (rng.chance(0.08) ? 1n + rng.big(3n) : 0n);
      return { type, queueIndex, account: target, owner: upperSome(rng, who), asset, amount };
    }
    case "FundingTick": {
      const market = rng.chance(0.05) ? state.markets.length + rng.int(3) : rng.int(state.markets.length);
      const cap = state.params.maxFundingRatePpm;
      return { type, market, premiumPpm: rng.chance(0.1) ? 0n : rng.big(4n * cap + 1n) - 2n * cap };
    }
    case "OracleUpdate":
      return drawOracleUpdate(rng, state, now);
    case "PlaceOrder": {
      const market = rng.chance(0.04) ? state.markets.length + rng.int(2) : rng.int(state.markets.length);
      const m = state.markets[market] ?? state.markets[0]!;
      const sell = rng.chance(0.5);
      let flags = (sell ? FLAG_SELL : 0) | ((rng.int(10) < 7 ? 0 : rng.int(3)) << 1) | (rng.chance(0.1) ? FLAG_REDUCE_ONLY : 0);
      if (rng.chance(0.03)) flags |= 16 << rng.int(3); // unknown flag bits
      if (rng.chance(0.03)) flags |= 6; // TIF 3: not a time in force
      const away = (m.oraclePrice * BigInt(rng.int(30) - 10)) / 100n; // mostly resting, sometimes crossing the oracle
      let price = sell ? m.oraclePrice + away : m.oraclePrice - away;
      price -= price % m.tickSize;
      if (rng.chance(0.05)) price += 1n; // off tick
      if (rng.chance(0.02)) price = 0n;
      let size = m.lotSize * (1n + rng.big(rng.chance(0.2) ? 1_000_000n : 50n));
      if (rng.chance(0.04)) size += 1n; // off lot
      if (rng.chance(0.02)) size = 0n;
      const expiry = rng.chance(0.7) ? 0n : rng.chance(0.1) ? now - 1n - rng.big(100n) : now + rng.big(10_000n);
      const live = state.accounts[account]?.orders.filter((o) => o !== null) ?? [];
      const clientOrderId = live.length > 0 && rng.chance(0.15) ? rng.pick(live)!.clientOrderId : rng.big(1_000n);
      const op = { type, account, nonce, market, flags, price, size, expiry, clientOrderId, signature: "0x" as Hex };
      return sign(rng, op, signerKey(rng, state, account, true));
    }
    case "Fill":
      return drawFill(rng, state, now, fresh);
    case "SetMarginMode": {
      const market = rng.chance(0.05) ? state.markets.length + rng.int(2) : rng.int(state.markets.length);
      const mode = rng.chance(0.05) ? 2 + rng.int(3) : rng.int(2);
      const op = { type, account, nonce, market, mode, signature: "0x" as Hex };
      return sign(rng, op, signerKey(rng, state, account, true));
    }
    case "AdjustIsolatedMargin": {
      // Mostly an account's open isolated position; the delta around what the margin allows.
      const isolated = () =>
        state.accounts.flatMap((a, i) =>
          a.positions.flatMap((p, m) => (p !== null && p.size !== 0n && p.marginMode === 0 ? [{ i, m, p }] : [])),
        );
      let open = isolated();
      if (open.length === 0 || rng.chance(0.5)) {
        // Open an isolated position or two in the pre-state: a resting order and a fill against it.
        tradeInPreState(rng, state, now, fresh);
        open = isolated();
      }
      const pick = open.length > 0 && rng.chance(0.85) ? rng.pick(open) : null;
      const acct = pick?.i ?? account;
      const market = pick?.m ?? rng.int(state.markets.length + 1);
      const iso = pick?.p.isolatedMargin ?? 0n;
      const r = rng.int(100);
      const delta =
        r < 40 ? 1n + rng.big(10_000n * USD) : r < 75 ? -(1n + rng.big(iso > 0n ? iso : 1n)) : r < 85 ? -iso - 1n : r < 92 ? 0n : (1n << 62n) + rng.big(1n << 60n);
      const op = { type, account: acct, nonce: pickNonce(rng, state, acct, now, fresh), market, delta, signature: "0x" as Hex };
      return sign(rng, op, signerKey(rng, state, acct, true));
    }
    case "SetPortfolioMargin": {
      const enabled = rng.chance(0.05) ? 2 : rng.int(2);
      const op = { type, account, nonce, enabled, signature: "0x" as Hex };
      return sign(rng, op, signerKey(rng, state, account, false));
    }
    case "ForcedClose": {
      const queueIndex = state.l1.nextIndex + (rng.chance(0.08) ? 1n + rng.big(3n) : 0n);
      const withPositions = () =>
        state.accounts.flatMap((a, i) => a.openMarkets.flatMap((m) => (a.positions[m]!.size !== 0n ? [{ i, m }] : [])));
      if (withPositions().length === 0 || rng.chance(0.5)) tradeInPreState(rng, state, now, fresh);
      const open = withPositions();
      if (open.length === 0 || rng.chance(0.1)) return { type, queueIndex, account, market: rng.int(state.markets.length + 1) };
      const pick = rng.pick(open);
      return { type, queueIndex, account: pick.i, market: pick.m };
    }
    case "ForcedWithdraw": {
      const queueIndex = state.l1.nextIndex + (rng.chance(0.08) ? 1n + rng.big(3n) : 0n);
      return { type, queueIndex, account, asset: pickAsset(rng), amount: pickDebit(rng, state, account, 0, now) };
    }
    case "Withdraw": {
      const asset = pickAsset(rng);
      const op = { type, account, nonce, asset, amount: pickDebit(rng, state, account, asset, now), signature: "0x" as Hex };
      return sign(rng, op, signerKey(rng, state, account, false));
    }
    case "Transfer": {
      const asset = pickAsset(rng);
      const to = rng.chance(0.08) ? account : rng.chance(0.05) ? state.accounts.length + rng.int(3) : rng.int(state.accounts.length);
      const op = { type, account, nonce, to, asset, amount: pickDebit(rng, state, account, asset, now), signature: "0x" as Hex };
      return sign(rng, op, signerKey(rng, state, account, false));
    }
    case "GrantSessionKey": {
      const owner = state.accounts[account]?.owner ?? ZERO_ADDRESS;
      const r = rng.int(100);
      const key = r < 5 ? ZERO_ADDRESS : r < 9 ? owner : rng.pick(SESSION_ADDRS);
      const expiry = rng.chance(0.1) ? now - rng.big(now) : now + 1n + rng.big(200_000n);
      const op = { type, account, nonce, key: upperSome(rng, key), expiry, signature: "0x" as Hex };
      return sign(rng, op, signerKey(rng, state, account, false));
    }
    case "RevokeSessionKey": {
      const keys = state.accounts[account]?.sessionKeys.filter((k) => k.key !== ZERO_ADDRESS).map((k) => k.key) ?? [];
      const key = rng.chance(0.1) ? ZERO_ADDRESS : keys.length > 0 && rng.chance(0.8) ? rng.pick(keys) : rng.pick(SESSION_ADDRS);
      const op = { type, account, nonce, key: upperSome(rng, key), signature: "0x" as Hex };
      return sign(rng, op, signerKey(rng, state, account, false));
    }
    case "CancelOrder": {
      const orders = state.accounts[account]?.orders ?? [];
      const live = orders.flatMap((o, s) => (o !== null ? [{ o, s }] : []));
      let slot: number;
      let clientOrderId = 0n;
      const r = rng.int(100);
      if (r < 45 && live.length > 0) slot = rng.pick(live).s;
      else if (r < 75) {
        slot = CANCEL_BY_CLIENT_ID;
        clientOrderId = live.length > 0 && rng.chance(0.8) ? rng.pick(live).o.clientOrderId : rng.big(6n);
      } else {
        slot = rng.int(ORDER_SLOTS + 4);
        if (rng.chance(0.2)) clientOrderId = 1n + rng.big(5n);
      }
      const op = { type, account, nonce, slot, clientOrderId, signature: "0x" as Hex };
      return sign(rng, op, signerKey(rng, state, account, true));
    }
    case "ParamUpdate": return drawParamUpdate(rng, state);
    case "Liquidate": return drawLiquidate(rng, state, now, { sign: (op) => sign(rng, op, signerKey(rng, state, op.account, true)), nonce: (a) => pickNonce(rng, state, a, now, fresh), fresh, ownerKeys: OWNER_KEYS, owners: OWNERS, domain: ONESTEP_DOMAIN });
    case "Deleverage": return drawDeleverage(rng, state, now, { sign: (op) => sign(rng, op, signerKey(rng, state, op.account, true)), nonce: (a) => pickNonce(rng, state, a, now, fresh), fresh, ownerKeys: OWNER_KEYS, owners: OWNERS, domain: ONESTEP_DOMAIN });
    case "CancelAll": {
      const r = rng.int(100);
      const market = r < 40 ? 0xffff : r < 90 ? rng.int(state.markets.length) : state.markets.length + rng.int(5);
      const op = { type, account, nonce, market, signature: "0x" as Hex };
      return sign(rng, op, signerKey(rng, state, account, true));
    }
  }
}

/** Two accounts trade one lot-multiple in a market at the oracle price, in the pre-state. */
function tradeInPreState(rng: Rng, state: CrossmarginState, now: bigint, nonce: bigint): void {
  const market = rng.int(state.markets.length);
  const m = state.markets[market]!;
  const maker = rng.int(ACCOUNTS);
  const taker = (maker + 1 + rng.int(ACCOUNTS - 1)) % ACCOUNTS;
  const size = m.lotSize * (1n + rng.big(20n));
  const price = m.oraclePrice - (m.oraclePrice % m.tickSize);
  const place = (account: number, sell: boolean, n: bigint) =>
    applyOp(
      state,
      { type: "PlaceOrder", account, nonce: n, market, flags: sell ? FLAG_SELL : 0, price, size, expiry: 0n, clientOrderId: 0n, signature: "0x" },
      { timestamp: now, signer: OWNERS[account]! },
    );
  const sell = rng.chance(0.5);
  const made = place(maker, sell, nonce + 20n);
  const took = place(taker, !sell, nonce + 21n);
  const slot = (r: ReturnType<typeof applyOp>) => {
    const e = r.events.find((x) => x.kind === "OrderPlaced");
    return e?.kind === "OrderPlaced" ? e.slot : -1;
  };
  if (!made.ok || !took.ok) return;
  applyOp(
    state,
    { type: "Fill", makerAccount: maker, makerSlot: slot(made), takerAccount: taker, takerSlot: slot(took), price, size },
    { timestamp: now, signer: null },
  );
}

/**
 * A fill: mostly of a resting maker order against a taker order placed for the purpose (in
 * the pre-state, at the vector's timestamp) at the maker's price, with sizes, prices and
 * slots that are sometimes wrong; sometimes of arbitrary slots.
 */
function drawFill(rng: Rng, state: CrossmarginState, now: bigint, nonce: bigint): Op {
  const live = state.accounts.flatMap((a, account) =>
    a.orders.flatMap((o, slot) => (o !== null && o.remaining > 0n && (o.expiry === 0n || o.expiry >= now) ? [{ account, slot, o }] : [])),
  );
  if (live.length === 0 || rng.chance(0.1)) {
    const n = state.accounts.length;
    return { type: "Fill", makerAccount: rng.int(n + 1), makerSlot: rng.int(ORDER_SLOTS + 2), takerAccount: rng.int(n + 1), takerSlot: rng.int(ORDER_SLOTS + 2), price: rng.big(10n ** 11n), size: rng.big(10n ** 6n) };
  }
  const maker = rng.pick(live);
  const m = state.markets[maker.o.market]!;
  const others = state.accounts.map((_, i) => i).filter((i) => i !== maker.account);
  const takerAccount = rng.chance(0.05) ? maker.account : rng.pick(others);
  const makerSells = (maker.o.flags & FLAG_SELL) !== 0;
  const tif = rng.chance(0.1) ? 2 : rng.chance(0.3) ? 1 : 0;
  const takerSize = m.lotSize * (1n + rng.big(maker.o.remaining / m.lotSize + 2n));
  const placed = applyOp(
    state,
    {
      type: "PlaceOrder",
      account: takerAccount,
      nonce: nonce + 7n,
      market: maker.o.market,
      flags: (makerSells ? 0 : FLAG_SELL) | (tif << 1) | (rng.chance(0.08) ? FLAG_REDUCE_ONLY : 0),
      price: maker.o.price + (rng.chance(0.1) ? (makerSells ? -m.tickSize : m.tickSize) : 0n),
      size: takerSize,
      expiry: 0n,
      clientOrderId: 0n,
      signature: "0x",
    },
    { timestamp: now, signer: state.accounts[takerAccount]?.owner ?? null },
  );
  const takerSlot = placed.ok ? placed.events.find((e) => e.kind === "OrderPlaced")!.slot : rng.int(ORDER_SLOTS);
  const taker = state.accounts[takerAccount]?.orders[takerSlot];
  const most = taker ? (taker.remaining < maker.o.remaining ? taker.remaining : maker.o.remaining) : maker.o.remaining;
  let size = most - (most / m.lotSize > 1n && rng.chance(0.4) ? m.lotSize * rng.big(most / m.lotSize) : 0n);
  const r = rng.int(100);
  if (r < 4) size += 1n; // off lot
  else if (r < 8) size = most + m.lotSize; // more than an order has left
  else if (r < 10) size = 0n;
  const price = rng.chance(0.06) ? maker.o.price + m.tickSize : maker.o.price;
  return { type: "Fill", makerAccount: maker.account, makerSlot: maker.slot, takerAccount, takerSlot, price, size };
}

/** Prices near the stored ones (sometimes out of band, invalid or repeated), signed by 0-3 keys. */
function drawOracleUpdate(rng: Rng, state: CrossmarginState, now: bigint): Op {
  const targets: { kind: number; id: number; old: bigint }[] = [
    ...state.markets.map((m, id) => ({ kind: 0, id, old: m.oraclePrice })),
    ...state.assets.slice(1).map((a, i) => ({ kind: 1, id: i + 1, old: a.oraclePrice })),
  ];
  const prices = targets
    .filter(() => rng.chance(0.7))
    .map(({ kind, id, old }) => {
      const base = old > 0n ? old : 1_000n * USD;
      let price = base + (base * BigInt(rng.int(361) - 180)) / 1000n; // within ±18%: the band is 20%
      const r = rng.int(100);
      if (r < 4) price = base + (base * BigInt(210 + rng.int(50))) / 1000n; // out of band
      else if (r < 6) price = 0n;
      else if (r < 8) price = (1n << 62n) + rng.big(100n); // above MAX_PRICE
      else if (r < 10) price = base + (base * 200n) / 1000n; // exactly at the band's edge
      return { kind, id, price };
    });
  const r = rng.int(100);
  if (r < 5) prices.push({ kind: 1, id: 0, price: USD }); // the settlement asset is never priced
  else if (r < 9) prices.push({ kind: 0, id: state.markets.length + rng.int(3), price: USD });
  else if (r < 12 && prices.length > 0) prices.push({ ...prices[0]! });
  else if (r < 14) prices.push({ kind: 2, id: 0, price: USD });
  const timestamp = rng.chance(0.06) ? now + 1n + rng.big(1000n) : rng.chance(0.08) ? now - 60_000n - rng.big(1000n) : now - rng.big(2_000n);
  const op = { type: "OracleUpdate" as const, timestamp, prices, signatures: [] as Hex[] };
  const digest = signingDigest(op, ONESTEP_DOMAIN);
  const signers = rng.int(4);
  for (let i = 0; i < signers; i++) {
    const key = rng.chance(0.1) ? STRANGER_KEY : rng.pick(ORACLE_KEYS);
    op.signatures.push(rng.chance(0.05) ? (bytesToHex(new Uint8Array(65).map(() => rng.int(256))) as Hex) : signDigest(digest, key));
  }
  return op;
}

/** Addresses in operations may come in any case; the STF stores and compares them lowercase. */
function upperSome(rng: Rng, a: Hex): Hex {
  return rng.chance(0.2) ? (`0x${a.slice(2).toUpperCase()}` as Hex) : a;
}

export interface OneStepVector {
  name: string;
  /** 1 when the STF accepted the operation, 0 when it refused it (forge's JSON reader takes numbers). */
  accepted: number;
  reason: string;
  preRoot: Hex;
  opBytes: Hex;
  witness: Hex;
  postRoot: Hex;
}

/** The vectors of one operation type (deterministic in `seed`). */
export function buildVectors(type: OneStepType, count = VECTORS_PER_TYPE, seed = 7): OneStepVector[] {
  const rng = new Rng(seed * 1_000 + SEED_ORDER.indexOf(type));
  const out: OneStepVector[] = [];
  for (let i = 0; i < count; i++) {
    const { state, now, nonce } = randomState(rng);
    // Mostly forward in time; sometimes before the state's clock (TIMESTAMP_REGRESSION).
    let timestamp = rng.chance(0.05) && state.clock > 0n ? state.clock - 1n - rng.big(state.clock) : now + rng.big(5_000n);
    if (type === "FundingTick" && rng.chance(0.5)) {
      // Around the end of the funding interval of some market.
      const m = state.markets[rng.int(state.markets.length)]!;
      const due = m.lastFundingTime + state.params.fundingIntervalMs + BigInt(rng.int(3) - 1);
      if (due >= state.clock) timestamp = due;
    }
    // The vector is its bytes: round-trip the drawn operation so that the TypeScript side runs
    // (and recovers signers from) exactly what L1 decodes.
    const op = decodeOp(encodeOp(drawOp(rng, type, state, timestamp, nonce + 1n + rng.big(10n))));
    const sop: SequencedOp = { timestamp, op };
    out.push(vectorOf(`${type} #${i}`, applyWithWitness(state, sop, recoverOp(op, ONESTEP_DOMAIN))));
  }
  return out;
}

export function fixturePath(type: OneStepType | "wide"): string {
  return join(ONESTEP_FIXTURE_DIR, `onestep-${type}.json`);
}

/** A vector: the case `applyWithWitness` built, under `name`. */
export function vectorOf(name: string, c: OneStepCase): OneStepVector {
  return {
    name,
    accepted: c.receipt.ok ? 1 : 0,
    reason: c.receipt.ok ? "" : (c.receipt.reason ?? ""),
    preRoot: c.preRoot,
    opBytes: c.opBytes,
    witness: c.witnessBytes,
    postRoot: c.postRoot,
  };
}

/** A fixture file's text: the vectors with the signing domain the forge tests deploy with; `note` names the generator. */
export function renderFixture(note: string, vectors: OneStepVector[]): string {
  const body = { note, chainId: Number(ONESTEP_DOMAIN.chainId), rollup: ONESTEP_DOMAIN.verifyingContract, count: vectors.length, vectors };
  return `${JSON.stringify(body, null, 1)}\n`;
}

/** "n vectors, a accepted; refused: REASON×k, …" */
export function summary(vectors: Pick<OneStepVector, "accepted" | "reason">[]): string {
  const reasons = new Map<string, number>();
  for (const x of vectors) if (!x.accepted) reasons.set(x.reason, (reasons.get(x.reason) ?? 0) + 1);
  return `${vectors.length} vectors, ${vectors.filter((x) => x.accepted).length} accepted; refused: ${[...reasons].map(([r, n]) => `${r}×${n}`).join(", ")}`;
}

export function renderVectors(type: OneStepType): string {
  return renderFixture("Generated by contracts/script/gen-onestep-fixtures.ts; do not edit.", buildVectors(type));
}

/** 64 identical markets (two tiers, 10%/5% then 20%/10%) priced at `oraclePrice` at time 1,000: the worst-case vectors' genesis. */
export function sixtyFourMarkets(oraclePrice: bigint) {
  return Array.from({ length: 64 }, () => ({
    tickSize: USD,
    lotSize: 10_000n,
    tiers: [
      { notionalCap: 1_000_000n * USD, imfPpm: 100_000n, mmfPpm: 50_000n },
      { notionalCap: 0n, imfPpm: 200_000n, mmfPpm: 100_000n },
    ],
    oraclePrice,
    oracleTimestamp: 1_000n,
  }));
}

/** Two accounts with positions in all 64 markets (odd markets cross, even isolated). */
function wideState(): { state: CrossmarginState; now: bigint; nonce: bigint; makerSlot: number; takerSlot: number } {
  const state = createGenesisState(testGenesis({ markets: sixtyFourMarkets(60_000n * USD) }));
  const now = 2_000n;
  let nonce = 2_000n;
  const apply = (op: Op, signer: Hex | null = null) => {
    const r = applyOp(state, op, { timestamp: now, signer });
    if (!r.ok) throw new Error(`wide state: ${op.type} refused: ${r.reason}`);
    return r;
  };
  for (let a = 0; a < 2; a++) {
    apply({ type: "Deposit", queueIndex: state.l1.nextIndex, account: a, owner: OWNERS[a]!, asset: 0, amount: 100_000_000n * USD });
    apply({ type: "Deposit", queueIndex: state.l1.nextIndex, account: a, owner: OWNERS[a]!, asset: 1, amount: 10n ** 20n });
  }
  const place = (account: number, market: number, sell: boolean, size: bigint) => {
    nonce += 1n;
    const r = apply(
      { type: "PlaceOrder", account, nonce, market, flags: sell ? FLAG_SELL : 0, price: 60_000n * USD, size, expiry: 0n, clientOrderId: 0n, signature: "0x" },
      OWNERS[account]!,
    );
    const e = r.events.find((x) => x.kind === "OrderPlaced");
    if (e?.kind !== "OrderPlaced") throw new Error("wide state: no slot");
    return e.slot;
  };
  for (let m = 0; m < 64; m++) {
    if (m % 2 === 1) {
      for (let a = 0; a < 2; a++) {
        nonce += 1n;
        apply({ type: "SetMarginMode", account: a, nonce, market: m, mode: 1, signature: "0x" }, OWNERS[a]!);
      }
    }
    const size = 10_000n * BigInt(1 + (m % 7));
    const makerSlot = place(0, m, true, size);
    const takerSlot = place(1, m, false, size);
    apply({ type: "Fill", makerAccount: 0, makerSlot, takerAccount: 1, takerSlot, price: 60_000n * USD, size });
  }
  // Resting orders (a cross market) for the Fill under test.
  const makerSlot = place(0, 5, true, 30_000n);
  const takerSlot = place(1, 5, false, 30_000n);
  return { state, now, nonce, makerSlot, takerSlot };
}

/**
 * Worst-case sizes: operations by accounts holding positions in all MAX_MARKETS markets (a
 * Fill adding risk to both sides, a PlaceOrder, a Withdraw, a SetPortfolioMargin). Their gas
 * bounds the one-step proof's cost; contracts/test/fixtures/onestep-wide.json.
 */
export function buildWideVectors(): OneStepVector[] {
  const ops = (w: ReturnType<typeof wideState>): Op[] => {
    const rng = new Rng(99);
    return [
      { type: "Fill", makerAccount: 0, makerSlot: w.makerSlot, takerAccount: 1, takerSlot: w.takerSlot, price: 60_000n * USD, size: 20_000n },
      sign(rng, { type: "PlaceOrder", account: 1, nonce: w.nonce + 10n, market: 9, flags: 0, price: 59_000n * USD, size: 50_000n, expiry: 0n, clientOrderId: 9n, signature: "0x" as Hex }, OWNER_KEYS[1]!),
      sign(rng, { type: "Withdraw", account: 0, nonce: w.nonce + 11n, asset: 1, amount: 10n ** 18n, signature: "0x" as Hex }, OWNER_KEYS[0]!),
      sign(rng, { type: "SetPortfolioMargin", account: 1, nonce: w.nonce + 12n, enabled: 1, signature: "0x" as Hex }, OWNER_KEYS[1]!),
    ];
  };
  const count = ops(wideState()).length;
  return Array.from({ length: count }, (_, i) => {
    // A fresh wide state per operation (the construction is deterministic).
    const w = wideState();
    const op = ops(w)[i]!;
    return vectorOf(`wide ${op.type}`, applyWithWitness(w.state, { timestamp: w.now + 1n, op }, recoverOp(op, ONESTEP_DOMAIN)));
  });
}

export const WIDE_FIXTURE = "wide";

export function renderWideVectors(): string {
  return renderFixture("Generated by contracts/script/gen-onestep-fixtures.ts (buildWideVectors); do not edit.", buildWideVectors());
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  // `gen-onestep-fixtures.ts [Type ...]` regenerates only the named types (and no wide vectors).
  const named = process.argv.slice(2);
  for (const n of named) if (!(ONESTEP_TYPES as readonly string[]).includes(n)) throw new Error(`unknown one-step type ${n}; known: ${ONESTEP_TYPES.join(", ")}`);
  for (const type of named.length ? (named as OneStepType[]) : ONESTEP_TYPES) {
    const text = renderVectors(type);
    writeFileSync(fixturePath(type), text);
    console.log(`${type}: ${summary((JSON.parse(text) as { vectors: OneStepVector[] }).vectors)}`);
  }
  if (named.length === 0) {
    const wide = renderWideVectors();
    writeFileSync(fixturePath("wide"), wide);
    const v = JSON.parse(wide) as { vectors: OneStepVector[] };
    console.log(`wide: ${v.vectors.map((x) => `${x.name} ${x.accepted ? "accepted" : x.reason}`).join(", ")}`);
  }
}
