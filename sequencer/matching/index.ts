/** The sequencer's matching engine (docs/matching.md). Pure TypeScript, no I/O, no clock. */
export { OrderBook, OrderNode, Level, orderKey, keyAccount, keySlot } from "./book.js";
export type { Side, OrderKey, OrderView, Depth, DepthLevel } from "./book.js";
export { MatchingEngine } from "./engine.js";
export type { EngineConfig, MarketConfig, PlacedOrder, PlaceResult, SelfTradePolicy, SlotRef, DetachReason, FillBlame, FillRejection, LiveOrderSource } from "./engine.js";
export { fillBlame } from "./blame.js";
export { benchMatching, type MatchingBenchResult } from "./bench.js";
