/**
 * Draws the ParamUpdate under test for the one-step golden vectors
 * (contracts/script/gen-onestep-fixtures.ts, replayed by contracts/test/OneStepParams.t.sol).
 *
 * First the pre-state is varied through the STF itself (earlier L1 governance inputs at the
 * state's clock): extra listed markets (sometimes all 64, the worst case of the tier-0 scan),
 * extra assets (sometimes all 4), a second tier, a penalty close to the lowest maintenance
 * fraction, oracle signers removed or a raised threshold. Then one update is drawn over every
 * key of PARAM_KEYS and some unknown keys, with values inside, at the edges of and outside
 * the bounds, wrong targets, junk in the value bytes the key ignores, and sometimes a stale or
 * future queue index.
 */
import { CORRELATION_GROUPS, MARGIN_TIERS, MAX_ASSETS, MAX_MARKETS, MAX_ORACLE_SIGNERS, NO_ACCOUNT, PPM, ZERO_ADDRESS } from "../../sequencer/state/constants.js";
import { bytesToHex } from "../../sequencer/state/bytes.js";
import type { Hex, Op, ParamUpdate } from "../../sequencer/state/ops.js";
import { PARAM_BOUNDS, PARAM_KEYS } from "../../sequencer/state/ops/paramUpdate.js";
import type { CrossmarginState } from "../../sequencer/state/state.js";
import { applyOp } from "../../sequencer/state/stf.js";
import type { Rng } from "../../sequencer/state/test/random.js";

const U64_MAX = (1n << 64n) - 1n;
const U32_MAX = (1n << 32n) - 1n;
/** Keys no update may use (gaps of PARAM_KEYS, and beyond it). */
const UNKNOWN_KEYS = [0, 6, 9, 14, 19, 22, 29, 43, 100, 0xffff];
const KEYS = Object.values(PARAM_KEYS) as number[];
/** Keys with several checks of their own: drawn more often than the plain bounded ones. */
const INTRICATE_KEYS: number[] = [
  PARAM_KEYS.MARKET_TIER, // twice: the tier rules have the most branches
  PARAM_KEYS.MARKET_TIER,
  PARAM_KEYS.LIST_MARKET,
  PARAM_KEYS.ORACLE_SIGNER,
  PARAM_KEYS.ORACLE_THRESHOLD,
  PARAM_KEYS.LIST_ASSET,
  PARAM_KEYS.LIQUIDATION_PENALTY_PPM,
];

/** A 32-byte value: junk in the bytes the key ignores (sometimes), then its fields. */
class Value {
  readonly bytes = new Uint8Array(32);
  constructor(rng: Rng) {
    if (rng.chance(0.2)) for (let i = 0; i < 32; i++) this.bytes[i] = rng.int(256);
  }
  /** `x` little-endian in `n` bytes at `at` (truncated to the width, as L1 would encode it). */
  put(at: number, n: number, x: bigint): this {
    for (let i = 0; i < n; i++) this.bytes[at + i] = Number((x >> BigInt(8 * i)) & 0xffn);
    return this;
  }
  /** Raw bytes (an address) at `at`. */
  set(at: number, hex: Hex): this {
    this.bytes.set(Buffer.from(hex.slice(2), "hex"), at);
    return this;
  }
  hex(): Hex {
    return bytesToHex(this.bytes) as Hex;
  }
}

/** A value of a bounded key: mostly inside, sometimes at or just past an edge, or any u64. */
function bounded(rng: Rng, [lo, hi]: readonly [bigint, bigint]): bigint {
  const r = rng.int(100);
  if (r < 40) return lo + rng.big(hi - lo + 1n);
  if (r < 50) return lo;
  if (r < 60) return hi;
  if (r < 75) return lo > 0n ? lo - 1n : hi + 1n;
  if (r < 90) return hi < U64_MAX ? hi + 1n + rng.big(1000n) : 0n;
  return rng.next();
}

/** The lowest tier-0 maintenance fraction over all markets (1e6 with none). */
function lowestMaintenance(state: CrossmarginState): bigint {
  return state.markets.reduce((low, m) => (m.tiers[0]!.mmfPpm < low ? m.tiers[0]!.mmfPpm : low), PPM);
}

/** Tick and lot: mostly a product that is a multiple of 1e8, sometimes zero or off. */
function tickLot(rng: Rng): [bigint, bigint] {
  const a = rng.int(9);
  const tick = 10n ** BigInt(a) * BigInt(1 + rng.int(5));
  const lot = 10n ** BigInt(8 - a + rng.int(3));
  const r = rng.int(100);
  if (r < 6) return [0n, lot];
  if (r < 11) return [tick, 0n];
  if (r < 18) return [3n * 10n ** BigInt(a), 10n ** BigInt(Math.max(0, 7 - a))]; // 3e7 per unit: not a multiple of 1e8
  if (r < 21) return [rng.next(), rng.next()];
  return [tick, lot];
}

/** imf and mmf of a new market's only tier: mostly valid above the penalty, sometimes not. */
function listTier(rng: Rng, penalty: bigint): [bigint, bigint] {
  const imf = penalty + 2n + (PPM - penalty > 1n ? rng.big(PPM - penalty - 1n) : 0n);
  const mmf = penalty + 1n + rng.big(imf - penalty);
  const r = rng.int(100);
  if (r < 10) return [imf, penalty]; // maintenance not above the penalty
  if (r < 18) return [imf, imf + 1n]; // mmf > imf
  if (r < 26) return [PPM + 1n + rng.big(1000n), mmf]; // imf > 100%
  if (r < 32) return [0n, 0n];
  if (r < 38) return [imf, 0n];
  return [imf, mmf];
}

/**
 * A tier replacing tier `index` of `market`: between its neighbours (usually valid), removed,
 * undercutting the penalty, with a decreasing fraction, used after an unused one, or random.
 */
function tierValue(rng: Rng, state: CrossmarginState, market: number, value: Value): void {
  const tiers = state.markets[market]?.tiers ?? state.markets[0]!.tiers;
  const used = tiers.filter((t) => t.imfPpm > 0n).length;
  const penalty = state.params.liquidationPenaltyPpm;
  let index = rng.chance(0.9) ? rng.int(Math.min(used + 1, MARGIN_TIERS)) : MARGIN_TIERS + rng.int(252);
  let cap: bigint;
  let imf: bigint;
  let mmf: bigint;
  const between = (i: number): [bigint, bigint, bigint] => {
    const prev = i > 0 ? tiers[i - 1]! : null;
    const next = i + 1 < MARGIN_TIERS && tiers[i + 1]!.imfPpm > 0n ? tiers[i + 1]! : null;
    const imfLo = prev?.imfPpm ?? penalty + 2n;
    const imfHi = next?.imfPpm ?? PPM;
    const f = imfLo <= imfHi ? imfLo + rng.big(imfHi - imfLo + 1n) : imfLo;
    const mmfLo = prev?.mmfPpm ?? penalty + 1n;
    const mmfHi = next !== null && next.mmfPpm < f ? next.mmfPpm : f;
    const g = mmfLo <= mmfHi ? mmfLo + rng.big(mmfHi - mmfLo + 1n) : mmfHi;
    const capLo = (prev?.notionalCap ?? 0n) + 1n;
    const capHi = next !== null && next.notionalCap > capLo ? next.notionalCap - 1n : capLo + 10n ** 12n;
    let c = capLo + rng.big(capHi - capLo + 1n);
    if (rng.chance(0.2)) c = prev?.notionalCap ?? 0n; // not above the previous cap
    return [c, f, g];
  };
  const r = rng.int(100);
  if (r < 40 && index < MARGIN_TIERS) {
    [cap, imf, mmf] = between(index);
  } else if (r < 50) {
    [cap, imf, mmf] = [0n, 0n, 0n]; // unused: fine only for the last used tier after tier 0
    if (rng.chance(0.2)) mmf = 1n;
  } else if (r < 58) {
    index = 0;
    imf = tiers[0]!.imfPpm;
    mmf = rng.chance(0.5) ? penalty : penalty + 1n; // at the penalty: refused
    cap = tiers[0]!.notionalCap;
  } else if (r < 66 && used >= 1) {
    // A fraction below the previous tier's.
    index = 1 + rng.int(Math.min(used, MARGIN_TIERS - 1));
    const prev = tiers[index - 1]!;
    [cap, imf, mmf] = between(index);
    if (rng.chance(0.5) && prev.imfPpm > 1n) imf = prev.imfPpm - 1n;
    else if (prev.mmfPpm > 1n) mmf = prev.mmfPpm - 1n;
  } else if (r < 72 && used + 1 < MARGIN_TIERS) {
    // Past the first unused tier: a used tier after an unused one.
    index = used + 1;
    const last = tiers[used - 1]!;
    [cap, imf, mmf] = [last.notionalCap + 1n, last.imfPpm, last.mmfPpm];
  } else {
    cap = rng.chance(0.5) ? rng.next() : rng.big(10n ** 13n);
    imf = rng.chance(0.7) ? rng.big(PPM + 2n) : rng.big(U32_MAX + 1n);
    mmf = rng.chance(0.7) ? rng.big(imf + 2n) : rng.big(U32_MAX + 1n);
  }
  value.put(0, 8, cap).put(8, 4, imf).put(12, 4, mmf).put(16, 1, BigInt(index));
}

/** An earlier governance input, through the STF at the state's clock (it consumes a queue item). */
function l1(state: CrossmarginState, key: number, target: number, value: Value): void {
  applyOp(state, { type: "ParamUpdate", queueIndex: state.l1.nextIndex, key, target, value: value.hex() }, { timestamp: state.clock, signer: null });
}

/** One more tier on `market` (the old last one gets a cap above its predecessor's first). */
function addTier(rng: Rng, state: CrossmarginState, market: number): void {
  const tiers = state.markets[market]!.tiers;
  const used = tiers.filter((t) => t.imfPpm > 0n).length;
  if (used >= MARGIN_TIERS) return;
  const last = tiers[used - 1]!;
  const imf = last.imfPpm + rng.big(PPM - last.imfPpm + 1n);
  const mmf = last.mmfPpm + rng.big(imf - last.mmfPpm + 1n);
  if (used >= 2) {
    const prev = tiers[used - 2]!;
    const v = new Value(rng).put(0, 8, prev.notionalCap + 1n + rng.big(10n ** 12n)).put(8, 4, last.imfPpm).put(12, 4, last.mmfPpm).put(16, 1, BigInt(used - 1));
    l1(state, PARAM_KEYS.MARKET_TIER, market, v);
  }
  l1(state, PARAM_KEYS.MARKET_TIER, market, new Value(rng).put(0, 8, 0n).put(8, 4, imf).put(12, 4, mmf).put(16, 1, BigInt(used)));
}

/** The signer set's threshold raised to its size (any removal is then refused). */
function raiseThreshold(rng: Rng, state: CrossmarginState): void {
  const members = state.params.oracleSigners.filter((s) => s !== ZERO_ADDRESS).length;
  l1(state, PARAM_KEYS.ORACLE_THRESHOLD, 0, new Value(rng).put(0, 8, BigInt(members)));
}

/** Earlier governance inputs that vary the state any key meets. */
function shapePreState(rng: Rng, state: CrossmarginState): void {
  const listMarkets = (n: number) => {
    for (let i = 0; i < n && state.markets.length < MAX_MARKETS; i++) {
      const penalty = state.params.liquidationPenaltyPpm;
      const imf = penalty + 2n + rng.big(200_000n);
      const v = new Value(rng).put(0, 8, 10n ** 4n).put(8, 8, 10n ** 4n).put(16, 4, imf).put(20, 4, penalty + 1n + rng.big(imf - penalty));
      l1(state, PARAM_KEYS.LIST_MARKET, state.markets.length, v);
    }
  };
  if (rng.chance(0.06)) listMarkets(MAX_MARKETS);
  else if (rng.chance(0.12)) listMarkets(1 + rng.int(3));
  if (rng.chance(0.12)) {
    const n = 1 + rng.int(MAX_ASSETS - state.assets.length);
    for (let i = 0; i < n; i++) l1(state, PARAM_KEYS.LIST_ASSET, state.assets.length, new Value(rng).put(0, 1, BigInt(rng.int(19))).put(8, 4, rng.big(PPM + 1n)));
  }
  if (rng.chance(0.1)) addTier(rng, state, rng.int(state.markets.length));
  if (rng.chance(0.1)) {
    const lowest = lowestMaintenance(state);
    l1(state, PARAM_KEYS.LIQUIDATION_PENALTY_PPM, 0, new Value(rng).put(0, 8, lowest - 1n - rng.big(lowest < 100n ? 1n : 100n)));
  }
  if (rng.chance(0.12)) {
    // Fewer signers (the removal is refused when it would go below the threshold).
    const removals = 1 + rng.int(2);
    for (let i = 0; i < removals; i++) l1(state, PARAM_KEYS.ORACLE_SIGNER, rng.int(4), new Value(rng).set(0, ZERO_ADDRESS));
  }
  if (rng.chance(0.12)) raiseThreshold(rng, state);
}

/** A market id: mostly listed, sometimes the next one or past it, or any u16. */
function marketTarget(rng: Rng, state: CrossmarginState): number {
  const r = rng.int(100);
  if (r < 88) return rng.int(state.markets.length);
  if (r < 96) return state.markets.length + rng.int(3);
  return rng.int(0x10000);
}

/** A list's next id: mostly right, sometimes one before or past it. */
function nextId(rng: Rng, length: number): number {
  const r = rng.int(100);
  if (r < 85) return length;
  if (r < 92 && length > 0) return length - 1;
  return length + 1 + rng.int(3);
}

/** The ParamUpdate of one vector; may first change `state` (see shapePreState). */
export function drawParamUpdate(rng: Rng, state: CrossmarginState): Op {
  shapePreState(rng, state);
  // With every market listed, mostly the keys that scan all markets' tier 0 (the costliest
  // witnesses) or try to list one more.
  const scanning = [PARAM_KEYS.LIQUIDATION_PENALTY_PPM, PARAM_KEYS.MARKET_TIER, PARAM_KEYS.LIST_MARKET];
  const marketsFull = state.markets.length === MAX_MARKETS && rng.chance(0.8);
  const assetsFull = state.assets.length === MAX_ASSETS && rng.chance(0.3);
  const key = marketsFull
    ? rng.pick(scanning)
    : assetsFull
      ? PARAM_KEYS.LIST_ASSET
      : rng.chance(0.25)
        ? rng.pick(INTRICATE_KEYS)
        : rng.chance(0.88)
          ? rng.pick(KEYS)
          : rng.pick(UNKNOWN_KEYS);
  // Shapes some keys' own checks need: a full signer set (a removal below the threshold),
  // three or four tiers (a cap that must increase).
  if (key === PARAM_KEYS.ORACLE_SIGNER && rng.chance(0.4)) raiseThreshold(rng, state);
  if (key === PARAM_KEYS.MARKET_TIER && state.markets.length <= 8 && rng.chance(0.5)) {
    for (let m = 0; m < state.markets.length; m++) addTier(rng, state, m);
  }
  const next = state.l1.nextIndex;
  const q = rng.int(100);
  const queueIndex = q < 4 ? next + 1n + rng.big(3n) : q < 8 && next > 0n ? rng.big(next) : next;
  // Keys without a target ignore it: mostly 0, sometimes anything.
  let target = rng.chance(0.8) ? 0 : rng.int(0x10000);
  const v = new Value(rng);
  const K = PARAM_KEYS;
  const B = PARAM_BOUNDS;
  switch (key) {
    case K.MAX_ORACLE_AGE_MS:
      v.put(0, 8, bounded(rng, B.maxOracleAgeMs));
      break;
    case K.ORACLE_BAND_PPM:
      v.put(0, 8, bounded(rng, B.oracleBandPpm));
      break;
    case K.NONCE_WINDOW_MS:
      v.put(0, 8, bounded(rng, B.nonceWindowMs));
      break;
    case K.ORACLE_THRESHOLD: {
      const members = state.params.oracleSigners.filter((s) => s !== ZERO_ADDRESS).length;
      v.put(0, 8, bounded(rng, [1n, BigInt(members)]));
      break;
    }
    case K.ORACLE_SIGNER: {
      target = rng.chance(0.8) ? rng.int(MAX_ORACLE_SIGNERS) : rng.chance(0.6) ? MAX_ORACLE_SIGNERS + rng.int(100) : 0xffff;
      const present = state.params.oracleSigners.filter((s) => s !== ZERO_ADDRESS);
      const r = rng.int(100);
      const signer =
        r < 30 ? ZERO_ADDRESS : r < 55 && present.length > 0 ? rng.pick(present) : (bytesToHex(new Uint8Array(20).map(() => rng.int(256))) as Hex);
      // A removal mostly empties a filled slot (refused when it leaves fewer than the threshold).
      const filled = state.params.oracleSigners.flatMap((s, k) => (s !== ZERO_ADDRESS ? [k] : []));
      if (signer === ZERO_ADDRESS && target < MAX_ORACLE_SIGNERS && rng.chance(0.7)) target = rng.pick(filled);
      v.set(0, signer);
      break;
    }
    case K.MARKET_STATUS:
      target = marketTarget(rng, state);
      v.put(0, 8, rng.chance(0.7) ? 1n + rng.big(3n) : rng.chance(0.3) ? 0n : rng.chance(0.5) ? 4n + rng.big(10n) : rng.next());
      break;
    case K.MARKET_TICK_LOT: {
      target = marketTarget(rng, state);
      const [tick, lot] = tickLot(rng);
      v.put(0, 8, tick).put(8, 8, lot);
      break;
    }
    case K.MARKET_TIER:
      target = marketTarget(rng, state);
      tierValue(rng, state, target, v);
      break;
    case K.LIST_MARKET: {
      target = nextId(rng, state.markets.length);
      const [tick, lot] = tickLot(rng);
      const [imf, mmf] = listTier(rng, state.params.liquidationPenaltyPpm);
      v.put(0, 8, tick).put(8, 8, lot).put(16, 4, imf).put(20, 4, mmf);
      break;
    }
    case K.ASSET_WEIGHT: {
      const n = state.assets.length;
      const r = rng.int(100);
      target = r < 10 ? 0 : r < 85 && n > 1 ? 1 + rng.int(n - 1) : n + rng.int(3);
      v.put(0, 8, bounded(rng, [0n, PPM]));
      break;
    }
    case K.LIST_ASSET: {
      target = nextId(rng, state.assets.length);
      const decimals = rng.chance(0.88) ? rng.int(37) : 37 + rng.int(219);
      const r = rng.int(100);
      const weight = r < 75 ? rng.big(PPM + 1n) : r < 85 ? PPM : PPM + 1n + rng.big(U32_MAX - PPM);
      v.put(0, 1, BigInt(decimals)).put(8, 4, weight);
      break;
    }
    case K.LIQUIDATION_PENALTY_PPM: {
      const lowest = lowestMaintenance(state);
      const r = rng.int(100);
      v.put(0, 8, r < 40 ? rng.big(lowest) : r < 60 ? lowest - 1n : r < 80 ? lowest : r < 90 ? lowest + 1n + rng.big(PPM) : rng.next());
      break;
    }
    case K.LIQUIDATION_BUFFER_PPM:
      v.put(0, 8, bounded(rng, B.liquidationBufferPpm));
      break;
    case K.PACING_WINDOW_MS:
      v.put(0, 8, bounded(rng, B.pacingWindowMs));
      break;
    case K.ACCOUNT_LIQUIDATION_CAP:
    case K.INSURANCE_LOSS_CAP:
      v.put(0, 8, bounded(rng, B.liquidationCap));
      break;
    case K.FUNDING_INTERVAL_MS:
      v.put(0, 8, bounded(rng, B.fundingIntervalMs));
      break;
    case K.MAX_FUNDING_RATE_PPM:
      v.put(0, 8, bounded(rng, B.maxFundingRatePpm));
      break;
    case K.PORTFOLIO_FLOOR_PPM:
      v.put(0, 8, bounded(rng, B.portfolioFloorPpm));
      break;
    case K.PORTFOLIO_MAINTENANCE_PPM:
      v.put(0, 8, bounded(rng, B.portfolioMaintenancePpm));
      break;
    case K.GROUP_SHOCK_PPM:
      target = rng.chance(0.88) ? rng.int(CORRELATION_GROUPS) : CORRELATION_GROUPS + rng.int(0x10000 - CORRELATION_GROUPS);
      v.put(0, 8, bounded(rng, B.groupShockPpm));
      break;
    case K.MARKET_GROUP:
      target = marketTarget(rng, state);
      v.put(0, 8, rng.chance(0.75) ? BigInt(rng.int(CORRELATION_GROUPS)) : rng.chance(0.6) ? BigInt(CORRELATION_GROUPS + rng.int(10)) : rng.next());
      break;
    case K.MARKET_LIQUIDATION_CAP:
      target = marketTarget(rng, state);
      v.put(0, 8, bounded(rng, B.liquidationCap));
      break;
    case K.BACKSTOP_ACCOUNT: {
      const n = state.accounts.length;
      const r = rng.int(100);
      v.put(0, 4, r < 25 ? BigInt(NO_ACCOUNT) : r < 75 ? BigInt(rng.int(n)) : r < 90 ? BigInt(n + rng.int(3)) : rng.big(U32_MAX + 1n));
      break;
    }
    default:
      // An unknown key: refused whatever the value.
      for (let i = 0; i < 32; i++) v.bytes[i] = rng.int(256);
  }
  const op: ParamUpdate = { type: "ParamUpdate", queueIndex, key, target, value: v.hex() };
  return op;
}
