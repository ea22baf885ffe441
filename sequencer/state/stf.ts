/**
 * The state transition: `applyOp` executes one operation; `applyBatch` a batch, the way
 * Lodestar's `stateTransition` reads — apply each operation in order, then commit the root.
 *
 * Dispatch order of checks for every operation:
 *   1. the operation's timestamp is not earlier than the state's clock;
 *   2. L1 inputs: the queue index is the next one (else nothing changes);
 *   3. the operation's own rules (ops/*.ts), which validate everything before writing.
 * A rejected operation changes nothing, except that an L1 input whose effect is refused is
 * still consumed from the queue (receipt.l1Consumed), and a refused deposit becomes a
 * withdrawal record refunding its owner (the tokens are already in the L1 vault).
 */
import { lowerAddress } from "./bytes.js";
import type { OpContext } from "./context.js";
import { nextChainHash } from "./l1Input.js";
import { commitRoot } from "./merkle.js";
import { type Op, type SequencedOp, isL1Input } from "./ops.js";
import { processCancelAll, processCancelOrder } from "./ops/cancelOrder.js";
import { processDeleverage } from "./ops/deleverage.js";
import { processDeposit } from "./ops/deposit.js";
import { processFundingTick } from "./ops/fundingTick.js";
import { processLiquidate } from "./ops/liquidate.js";
import { processSetPortfolioMargin } from "./ops/portfolioMargin.js";
import { processFill } from "./ops/fill.js";
import { processForcedClose, processForcedWithdraw } from "./ops/forced.js";
import { processAdjustIsolatedMargin, processSetMarginMode } from "./ops/marginMode.js";
import { processOracleUpdate } from "./ops/oracleUpdate.js";
import { processParamUpdate } from "./ops/paramUpdate.js";
import { processPlaceOrder } from "./ops/placeOrder.js";
import { processGrantSessionKey, processRevokeSessionKey } from "./ops/sessionKeys.js";
import { processTransfer } from "./ops/transfer.js";
import { processWithdraw } from "./ops/withdraw.js";
import { Rejection, reject } from "./reasons.js";
import type { Receipt, StfEvent } from "./receipt.js";
import type { CrossmarginState } from "./state.js";

function execute(state: CrossmarginState, op: Op, ctx: OpContext, events: StfEvent[]): void {
  switch (op.type) {
    case "Deposit":
      return processDeposit(state, op, events);
    case "ParamUpdate":
      return processParamUpdate(state, op, events);
    case "Withdraw":
      return processWithdraw(state, op, ctx, events);
    case "Transfer":
      return processTransfer(state, op, ctx, events);
    case "GrantSessionKey":
      return processGrantSessionKey(state, op, ctx, events);
    case "RevokeSessionKey":
      return processRevokeSessionKey(state, op, ctx, events);
    case "PlaceOrder":
      return processPlaceOrder(state, op, ctx, events);
    case "CancelOrder":
      return processCancelOrder(state, op, ctx, events);
    case "CancelAll":
      return processCancelAll(state, op, ctx, events);
    case "Fill":
      return processFill(state, op, ctx, events);
    case "OracleUpdate":
      return processOracleUpdate(state, op, ctx, events);
    case "SetMarginMode":
      return processSetMarginMode(state, op, ctx, events);
    case "AdjustIsolatedMargin":
      return processAdjustIsolatedMargin(state, op, ctx, events);
    case "Liquidate":
      return processLiquidate(state, op, ctx, events);
    case "Deleverage":
      return processDeleverage(state, op, ctx, events);
    case "FundingTick":
      return processFundingTick(state, op, ctx, events);
    case "SetPortfolioMargin":
      return processSetPortfolioMargin(state, op, ctx, events);
    case "ForcedWithdraw":
      return processForcedWithdraw(state, op, ctx.timestamp, events);
    case "ForcedClose":
      return processForcedClose(state, op, ctx.timestamp, events);
  }
}

function rejected(e: unknown, l1Consumed = false): Receipt {
  if (!(e instanceof Rejection)) throw e;
  const r: Receipt = { ok: false, reason: e.reason, events: [] };
  if (e.detail !== undefined) r.detail = e.detail;
  if (l1Consumed) r.l1Consumed = true;
  return r;
}

export function applyOp(state: CrossmarginState, op: Op, ctx: OpContext): Receipt {
  const events: StfEvent[] = [];
  try {
    if (ctx.timestamp < state.clock) reject("TIMESTAMP_REGRESSION", `${ctx.timestamp} < ${state.clock}`);
    if (isL1Input(op)) {
      if (op.queueIndex !== state.l1.nextIndex) reject("L1_OUT_OF_ORDER", `expected queue index ${state.l1.nextIndex}`);
      let refusal: Receipt | null = null;
      try {
        execute(state, op, ctx, events);
      } catch (e) {
        refusal = rejected(e, true);
        // A refused deposit's tokens are already in the L1 vault: refund them to the owner
        // (stored lowercase, like every address in the state).
        if (op.type === "Deposit" && op.amount > 0n) {
          const index = state.withdrawals.length;
          state.withdrawals.push({ account: op.account, owner: lowerAddress(op.owner), asset: op.asset, amount: op.amount });
          refusal.events.push({ kind: "WithdrawalCreated", index, account: op.account, asset: op.asset, amount: op.amount });
        }
      }
      state.l1.chainHash = nextChainHash(state.l1.chainHash, op);
      state.l1.nextIndex += 1n;
      state.clock = ctx.timestamp;
      if (refusal) return refusal;
      events.push({ kind: "L1InputConsumed", queueIndex: op.queueIndex });
    } else {
      execute(state, op, ctx, events);
      state.clock = ctx.timestamp;
    }
    return { ok: true, events };
  } catch (e) {
    return rejected(e);
  }
}

/** Signature-derived facts for each operation of a batch (signing.ts `recoverOp`, one per operation). */
export type Recovered = Pick<OpContext, "signer" | "oracleSigners">;

export interface BatchResult {
  receipts: Receipt[];
  root: Uint8Array;
}

/** Applies a batch in order and commits the state root once at the end. */
export function applyBatch(state: CrossmarginState, ops: SequencedOp[], recovered: Recovered[]): BatchResult {
  if (recovered.length !== ops.length) throw new Error("one recovered signer entry per operation");
  const receipts = new Array<Receipt>(ops.length);
  for (let i = 0; i < ops.length; i++) {
    const s = ops[i]!;
    receipts[i] = applyOp(state, s.op, { timestamp: s.timestamp, ...recovered[i]! });
  }
  return { receipts, root: commitRoot(state) };
}

export { commitRoot as stateRoot };
