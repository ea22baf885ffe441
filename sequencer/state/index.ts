/** The Crossmargin state-transition function: pure, deterministic, no I/O. */
export * from "./constants.js";
export * from "./ops.js";
export * from "./reasons.js";
export type { Receipt, StfEvent } from "./receipt.js";
export type { OpContext } from "./context.js";
export { CrossmarginState, AccountState } from "./state.js";
export type { Position, Order, MarketState, AssetState, MarginTier, Params, Withdrawal } from "./state.js";
export { applyOp, applyBatch, stateRoot, type Recovered, type BatchResult } from "./stf.js";
export { createGenesisState, type GenesisConfig } from "./genesis.js";
export { encodeOp, decodeOp, encodeSequencedOp, decodeSequencedOp, opSelector } from "./codec.js";
export { nextChainHash } from "./l1Input.js";
export { toSszValue, referenceRoot } from "./sszValue.js";
export { recoverOp, recoverAddress, signingDigest, signDigest, typedDataOf, eip712Domain, type SigningDomain } from "./signing.js";
export { crossHealth, isolatedEquity, collateralValue, contribution, tieredRequirement, notional, markValue, trade } from "./margin.js";
export { PARAM_KEYS } from "./ops/paramUpdate.js";
export { hashCounter } from "./merkle.js";
export * as types from "./types.js";
