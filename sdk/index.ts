/**
 * Crossmargin SDK: a typed client for the sequencer's API (docs/api.md). See sdk/README.md.
 */
export { createCrossmarginClient, type CrossmarginClient, type CrossmarginClientConfig, type Submittable, type SubmitResult } from "./client.js";
export { CrossmarginApiError, CrossmarginNetworkError, CrossmarginResponseError } from "./errors.js";
export { createVaultClient, VaultCallError, type VaultClient, type VaultClientConfig, type ExitClaim, type ExitState, type ForcedOpResult, type Inclusion } from "./l1.js";
export { accountProofRoot, verifyMyAccount, verifyReserves, VerificationError, type VerifiedAccount } from "./verify.js";
export { NonceSource, signOperation, signOracleUpdate, type OpInput, type UnsignedOp, type SigningDomain } from "./signing.js";
export {
  adjustIsolatedMarginOp,
  cancelAllOp,
  cancelOrderOp,
  grantSessionKeyOp,
  liquidateOp,
  orderFlags,
  placeOrderOp,
  revokeSessionKeyOp,
  setMarginModeOp,
  setPortfolioMarginOp,
  toBigInt,
  transferOp,
  withdrawOp,
  type CancelTarget,
  type IntLike,
  type MarginMode,
  type PlaceOrderParams,
  type Side,
  type TimeInForce,
  type TimeLike,
} from "./build.js";
export type { Channel, StreamMessage, SubscribeOptions, Subscription, WebSocketConstructor, WebSocketLike } from "./stream.js";
export type {
  Account,
  Asset,
  Batch,
  Book,
  BookLevel,
  DeadmanResult,
  DevDepositResult,
  ExitProof,
  FillEvent,
  FillReceipt,
  Hex,
  Info,
  LoggedOp,
  Margin,
  MarginTier,
  Market,
  ModifyResult,
  Op,
  OpenOrder,
  OpRecord,
  Position,
  NavHistory,
  WhatIf,
  Reserves,
  Reason,
  Receipt,
  SessionKeyInfo,
  SlotRef,
  StfEvent,
  VerifierReport,
  WithdrawalProof,
  L1Batches,
  L1Disputes,
} from "./types.js";
// Parsers, for JSON obtained elsewhere (logs, a proxy): the same code the client runs.
export { ShapeError, parseAccount, parseBook, parseEvent, parseInfo, parseLoggedOp, parseOp, parseOpRecord, parseReceipt, parseWithdrawalProof, parseExitProof, parseVerifierReport, parseL1Batches, parseL1Disputes, reviveBigints } from "./types.js";
export type { ErrorCode, ApiErrorBody } from "../sequencer/api/errors.js";
export { ERRORS, isErrorCode } from "../sequencer/api/errors.js";
export { ALL_MARKETS, CANCEL_BY_CLIENT_ID } from "../sequencer/state/constants.js";
