/**
 * The STF's invariants, checked around every operation by the property tests and the
 * cascade simulation (so the default paths — liquidation, ADL, the waterfall — are covered
 * where they actually happen):
 * - a rejected operation changes nothing (root unchanged) unless it is a consumed L1 input;
 * - conservation per asset: balances + positions' cash (isolated margin − entry notional)
 *   + insurance fund + withdrawals + funding pools − socialized loss = deposits;
 * - positions net to zero per market and open interest is the sum of longs;
 * - locality: accounts an operation does not name are untouched (a flat bystander never
 *   pays for someone's default);
 * - an accepted operation leaves the accounts it adds risk to at or above their initial
 *   requirement;
 * - the insurance fund moves only by liquidation penalties in and waterfall payments
 *   (collateral purchases and cover) out, never goes negative, and never pays more than its
 *   loss cap per window;
 * - ADL only shrinks the counterparty's position and requirement;
 * - funding nets to zero per market, up to rounding that favours the pool.
 */
import { expect } from "vitest";
import { bytesToHex } from "../bytes.js";
import { MODE_CROSS } from "../constants.js";
import type { OpContext } from "../context.js";
import { contribution, crossHealth, isolatedEquity, notional, pendingFunding, tieredRequirement } from "../margin.js";
import { liabilities } from "../liabilities.js";
import { commitRoot } from "../merkle.js";
import type { Op } from "../ops.js";
import type { Receipt } from "../receipt.js";
import type { CrossmarginState, Position } from "../state.js";
import { applyOp } from "../stf.js";
import { jsonBigint } from "./fixtures.js";

/** Accounts an operation names: the only ones it may change. */
export function namedAccounts(op: Op, state: CrossmarginState): number[] {
  switch (op.type) {
    case "Deposit":
    case "ForcedWithdraw":
      return [op.account];
    case "ForcedClose":
      return [op.account, state.params.backstopAccount];
    case "Transfer":
      return [op.account, op.to];
    case "Fill":
      return [op.makerAccount, op.takerAccount];
    case "Liquidate":
      return [op.account, op.target];
    case "Deleverage":
      return [op.target, op.counterparty];
    case "OracleUpdate":
    case "ParamUpdate":
    case "FundingTick":
      return [];
    default:
      return [op.account];
  }
}

function fingerprint(state: CrossmarginState, i: number): string {
  const a = state.accounts[i]!;
  return JSON.stringify([a.balances, a.openMarkets.map((m) => a.positions[m]), a.orders, a.nonces, a.sessionKeys, a.flags], jsonBigint);
}

/** What the state holds for users per asset id (uint8: refunds may name an unlisted asset). */
/** The state's liabilities per asset (sequencer/state/liabilities.ts): equal to the deposits consumed. */
export function holdings(state: CrossmarginState): bigint[] {
  return liabilities(state).map((l) => l.total);
}

function fundingDust(state: CrossmarginState, market: number): bigint {
  let v = state.markets[market]!.fundingPool;
  for (const a of state.accounts) {
    const p = a.positions[market];
    if (p) v += pendingFunding(p, state.markets[market]!);
  }
  return v;
}

function aboveInitial(state: CrossmarginState, account: number, market: number | null, now: bigint): boolean {
  const a = state.accounts[account]!;
  const h = crossHealth(state, a, now);
  if (h.equity < h.initial) return false;
  if (market === null) return true;
  const p = a.positions[market];
  if (!p || p.marginMode === MODE_CROSS || p.size === 0n) return true;
  const mk = state.markets[market]!;
  return isolatedEquity(p, mk) >= tieredRequirement(mk.tiers, notional(p.size, mk.oraclePrice), false);
}

function reduced(before: bigint, after: bigint): boolean {
  return before !== 0n && (before > 0n ? after >= 0n && after < before : after <= 0n && after > before);
}

/** Applies operations while checking every invariant; counts outcomes for coverage checks. */
export class CheckedStf {
  readonly deposits: bigint[];
  readonly accepted = new Map<string, number>();
  readonly rejected = new Map<string, number>();
  readonly waterfall = new Map<string, bigint>();
  private root: string;
  private ops = 0;

  constructor(
    readonly state: CrossmarginState,
    private readonly opts: { locality?: boolean } = {},
  ) {
    this.deposits = new Array<bigint>(256).fill(0n);
    this.root = bytesToHex(commitRoot(state));
  }

  apply(op: Op, ctx: OpContext, label = ""): Receipt {
    const { state } = this;
    const names = namedAccounts(op, state);
    const locality = this.opts.locality ?? true;
    const prints = locality ? state.accounts.map((_, i) => (names.includes(i) ? "" : fingerprint(state, i))) : [];
    const sizesBefore = new Map<number, bigint>();
    const marketOf = (): number | null => {
      if (op.type === "Fill") return state.accounts[op.makerAccount]?.orders[op.makerSlot]?.market ?? null;
      if (op.type === "Liquidate" || op.type === "Deleverage" || op.type === "ForcedClose") return op.market === 0xffff ? null : op.market;
      return null;
    };
    const market = marketOf();
    if (market !== null) for (const i of names) sizesBefore.set(i, state.accounts[i]?.positions[market]?.size ?? 0n);
    const insuranceBefore = state.insuranceFund[0]!;
    const cpBefore: Position | null = op.type === "Deleverage" ? (state.accounts[op.counterparty]?.positions[op.market] ?? null) : null;
    const cpMarket = op.type === "Deleverage" ? state.markets[op.market] : undefined;
    const cpReqBefore = cpBefore && cpMarket ? contribution(cpBefore, cpMarket).maintenance : 0n;

    const r = applyOp(state, op, ctx);
    this.ops++;
    const where = () => `${label} op ${JSON.stringify(op, jsonBigint)} → ${JSON.stringify(r, jsonBigint)}`;
    const after = bytesToHex(commitRoot(state));
    if (!r.ok && !r.l1Consumed && after !== this.root) expect(after, `rejected op changed the root: ${where()}`).toBe(this.root);
    this.root = after;
    const tally = r.ok ? this.accepted : this.rejected;
    const key = r.ok ? op.type : `${op.type}:${r.reason}`;
    tally.set(key, (tally.get(key) ?? 0) + 1);
    // Accepted deposits credit an account; refused ones are refunded as withdrawal records.
    if (op.type === "Deposit" && (r.ok || r.l1Consumed)) this.deposits[op.asset]! += op.amount;

    if (r.ok) {
      const now = ctx.timestamp;
      if (op.type === "Withdraw" || op.type === "Transfer" || op.type === "ForcedWithdraw") expect(aboveInitial(state, op.account, null, now), `below initial: ${where()}`).toBe(true);
      // Adding margin only lowers the position's risk; what it must not do is drain the cross pool.
      if (op.type === "AdjustIsolatedMargin") {
        expect(aboveInitial(state, op.account, op.delta > 0n ? null : op.market, now), `below initial: ${where()}`).toBe(true);
      }
      if (market !== null && (op.type === "Fill" || op.type === "Liquidate" || op.type === "ForcedClose")) {
        const risky = op.type === "Fill" ? names : op.type === "Liquidate" ? [op.account] : [state.params.backstopAccount];
        for (const i of risky) {
          const now2 = state.accounts[i]!.positions[market]?.size ?? 0n;
          if (!reduced(sizesBefore.get(i) ?? 0n, now2)) expect(aboveInitial(state, i, market, now), `account ${i} below initial: ${where()}`).toBe(true);
        }
      }
      if (op.type === "Deleverage" && cpBefore) {
        const cp = state.accounts[op.counterparty]!.positions[op.market] ?? null;
        expect(reduced(cpBefore.size, cp?.size ?? 0n), `ADL must shrink the counterparty: ${where()}`).toBe(true);
        expect(contribution(cp, state.markets[op.market]!).maintenance <= cpReqBefore, `ADL raised a requirement: ${where()}`).toBe(true);
      }
    }
    const held = holdings(state);
    // Deposits only ever name listed assets: the ones past the list must stay zero.
    if (this.deposits.some((x, i) => x !== (held[i] ?? 0n))) expect([...held, ...this.deposits.slice(held.length)], `conservation: ${where()}`).toEqual(this.deposits);
    state.markets.forEach((m, id) => {
      let net = 0n;
      let longs = 0n;
      for (const a of state.accounts) {
        const s = a.positions[id]?.size ?? 0n;
        net += s;
        if (s > 0n) longs += s;
      }
      if (net !== 0n || m.openInterest !== longs) expect([net, m.openInterest], `market ${id} nets to zero, OI = longs: ${where()}`).toEqual([0n, longs]);
      const dust = fundingDust(state, id);
      if (dust < 0n || dust > BigInt(this.ops * 2)) expect(dust, `funding nets to zero in market ${id}: ${where()}`).toBe(0n);
    });
    if (locality) {
      prints.forEach((p, i) => {
        if (p !== "" && fingerprint(state, i) !== p) expect(fingerprint(state, i), `account ${i} changed: ${where()}`).toBe(p);
      });
    }
    let expected = insuranceBefore;
    for (const e of r.events) {
      if (e.kind === "Liquidation") expected += e.penalty;
      if (e.kind === "Waterfall") {
        this.waterfall.set(e.step, (this.waterfall.get(e.step) ?? 0n) + e.amount);
        if (e.step !== "socialized") expected -= e.amount;
      }
    }
    if (state.insuranceFund[0] !== expected) expect(state.insuranceFund[0], `insurance moves only by penalties and the waterfall: ${where()}`).toBe(expected);
    if (state.insuranceWindow.paidInWindow > state.params.insuranceLossCap) expect.fail(`insurance paid past its cap: ${where()}`);
    if (state.insuranceFund.some((x) => x < 0n)) expect.fail(`insurance fund negative: ${where()}`);
    return r;
  }

  /** The incremental root must equal @chainsafe/ssz's hashTreeRoot of the whole state. */
  rootMatchesReference(reference: (s: CrossmarginState) => Uint8Array): void {
    expect(bytesToHex(commitRoot(this.state))).toBe(bytesToHex(reference(this.state)));
  }
}
