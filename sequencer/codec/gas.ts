/**
 * L1 gas of batch data: what posting costs (calldata) and what decoding costs in a dispute
 * (`BatchCodec.decode`, and `BatchCodec.locate` / `locateL1Inputs`, the cheaper checks `loadOp`
 * and `proveDataFault` run), and from
 * that the largest batch data whose decode stays under a governed gas bound. Figures and how
 * they were measured: docs/codec.md.
 *
 * The decode bound is a worst case over all data of a given length, not an estimate for
 * typical traffic: a dispute must be able to decode whatever a sequencer posted, so an
 * adversarial batch (many tiny operations, every byte a field) sets it. Decode gas is
 *
 *     gas(len) ≤ DECODE_FIXED_GAS + DECODE_GAS_PER_BYTE · len + memoryGas(words)
 *
 * where `words` counts the memory the decode leaves behind (input, schema copy, output of at
 * most `maxOutputBytes(len)`), and memoryGas is the EVM's 3·w + w²/512. The per-byte figure
 * is the costliest shape measured (every data byte a one-byte field) with the memory part
 * removed, plus headroom; the forge test fails if any fixture batch, worst shapes included,
 * decodes above `decodeGasBound`.
 */
import { encodeFunctionData, keccak256, toHex } from "viem";
import { ORACLE_SELECTOR, PRICE_POINT_FIELDS, PRICE_POINT_SIZE, SCHEMA, bodySize, type Field } from "./schema.js";

/** The governed bound this module sizes batches for by default: 15M gas, half a 30M block. */
export const DECODE_GAS_BOUND = 15_000_000;

/**
 * Gas per data byte of the costliest one-byte-field data shape, memory excluded. Measured (solc
 * 0.8.30, optimizer 200 runs, prague): OracleUpdates of 68 one-byte price points, 397 gas/byte
 * with memory, 394 without; ForcedWithdraw-only data 364, FundingTick-only 350, Fill-only 349
 * (16 KB each, the `worst` cases of contracts/test/BatchCodec.t.sol). 420 leaves ~6% for
 * compiler drift before the forge test trips.
 *
 * NOTE: not a bound for data whose decimals are nonzero or whose varints take two bytes:
 * `decode` then costs up to 494 gas/byte (OracleUpdates whose price points have two-byte ids; `test_gas_locate_everySelectorShape`
 * logs both decoders), ≈ 17.4M at `maxBatchBytes()`. No dispute runs `decode` on chain any
 * more: `loadOp` runs `locate` (`locateGasBound`) and `proveDataFault` runs `locateL1Inputs`
 * (`l1InputsGasBound`), both of which hold there (docs/codec.md §4). Left at 420 because
 * `maxBatchBytes()` derives from it and must equal the consensus `DisputeGame.MAX_DATA_BYTES`.
 */
export const DECODE_GAS_PER_BYTE = 420;
/** Call-independent part: schema copy, version and count, final bookkeeping (measured ≈ 1.9k), rounded up. */
export const DECODE_FIXED_GAS = 5_000;

/** EVM memory expansion cost of `words` 32-byte words, from zero. */
export function memoryGas(words: number): number {
  return 3 * words + Math.floor((words * words) / 512);
}

function minBytes(f: Field): number {
  return f.coding === "raw" ? f.width : 1;
}

/**
 * The most output bytes one data byte can produce, as a fraction: over every selector, the
 * operation's batch bytes (offset 4 + prefix 13 + body) over its fewest data bytes
 * (timestamp 1 + selector 1 + fields), and an oracle price point's 11 bytes over its 3.
 * (ForcedWithdraw: 46 bytes from 6.)
 */
export const MAX_EXPANSION: { num: number; den: number } = (() => {
  let best = { num: PRICE_POINT_SIZE, den: PRICE_POINT_FIELDS.reduce((a, f) => a + minBytes(f), 0) };
  SCHEMA.forEach((fields, sel) => {
    const num = 4 + 13 + (sel === ORACLE_SELECTOR ? 16 : bodySize(sel));
    const den = 2 + fields.reduce((a, f) => a + minBytes(f), 0) + (sel === ORACLE_SELECTOR ? 2 : 0);
    if (num * best.den > best.num * den) best = { num, den };
  });
  return best;
})();

/** Upper bound on the canonical batch bytes decoded from `len` bytes of data. */
export function maxOutputBytes(len: number): number {
  return Math.ceil((len * MAX_EXPANSION.num) / MAX_EXPANSION.den);
}

/** Memory words a decode of `len` data bytes touches: input, schema copy, output, slack. */
function decodeWords(len: number): number {
  const words = (b: number) => Math.ceil(b / 32);
  // 4 words of Solidity's reserved memory, the data (length word + bytes), the schema
  // (length word + 304 bytes), the output (length word + bytes + one spilled word).
  return 4 + 1 + words(len) + 1 + words(19 * 16) + 2 + words(maxOutputBytes(len));
}

/** Worst-case gas of `BatchCodec.decode` on any data of `len` bytes (it reverts beyond it too). */
export function decodeGasBound(len: number): number {
  return DECODE_FIXED_GAS + DECODE_GAS_PER_BYTE * len + memoryGas(decodeWords(len));
}

/** The largest data length whose worst-case decode stays within `gasBound`. */
export function maxBatchBytes(gasBound: number = DECODE_GAS_BOUND): number {
  let lo = 0;
  let hi = Math.ceil(gasBound / DECODE_GAS_PER_BYTE);
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (decodeGasBound(mid) <= gasBound) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * `BatchCodec.locate`, what a dispute's `loadOp` runs: it refuses exactly the data `decode`
 * refuses but writes only the one operation it returns, checking the others against their
 * selector's one-byte layout (or field by field when a varint is longer). Its worst case per
 * byte, measured over every selector's data with every varint one byte, two bytes, longest,
 * or only the first one two bytes, small operations with fields and decimals of 1 to 4 bytes
 * (`test_gas_locate_everySelectorShape`, 16 KB each) and 8,000 random shapes
 * (`testFuzz_gas_locate_randomShapes_withinBound`, none above 262), is Deleverages whose size
 * (a decimal) takes four bytes: 260 gas per data byte, memory included (FundingTicks with a
 * four-byte premium 248, one-byte FundingTicks 151, the 68-point OracleUpdates that cost
 * `decode` the most 58–62). 300 leaves ~15% for compiler drift and unmeasured shapes.
 */
export const LOCATE_GAS_PER_BYTE = 300;
/** Call-independent part: the per-selector layouts derived from SCHEMA, version and count (measured ≈ 22.9k), rounded up. */
export const LOCATE_FIXED_GAS = 25_000;

/** The longest SequencedOp: OracleUpdate with 68 price points and 8 signatures (1,297 bytes). */
export const MAX_OP_BYTES: number = Math.max(
  13 + 16 + 68 * PRICE_POINT_SIZE + 8 * 65,
  ...SCHEMA.map((_, sel) => (sel === ORACLE_SELECTOR ? 0 : 13 + bodySize(sel))),
);

/** Memory words `locate` touches: input, schema copy, 19 layout words, the located op and one op of scratch (each with a length word and a spilled word). */
function locateWords(len: number): number {
  const words = (b: number) => Math.ceil(b / 32);
  return 4 + 1 + words(len) + 1 + words(19 * 16) + 19 + 2 * (1 + words(MAX_OP_BYTES) + 1);
}

/**
 * Worst-case gas of `BatchCodec.locate` on any data of `len` bytes. At `maxBatchBytes()`
 * (35,209) it is 10.59M, well inside the 15M that sized the cap (the cap is `decode`'s, and
 * consensus).
 */
export function locateGasBound(len: number): number {
  return LOCATE_FIXED_GAS + LOCATE_GAS_PER_BYTE * len + memoryGas(locateWords(len));
}

/**
 * `BatchCodec.locateL1Inputs`, what `proveDataFault`'s L1-input walk runs: `locate`'s verdict
 * (exactly `decode`'s), the op count, and every L1 input (Deposit, ParamUpdate, ForcedWithdraw,
 * ForcedClose) written as a record (op index ‖ its SequencedOp bytes), each checked and written
 * in one pass; the other operations go through `locate`'s tiers. Its worst case per byte,
 * measured over the same shapes as `locate`'s plus L1 inputs whose queue index alone is two or
 * three bytes (`test_gas_locateL1Inputs_everySelectorShape`, 16 KB each), is data of one-byte
 * ForcedWithdraws: 371 gas per data byte, memory included (one-byte ForcedCloses 345,
 * ForcedWithdraws with every varint two bytes 269; shapes without L1 inputs cost what `locate`
 * does plus 5–15%). 420 leaves ~13% for compiler drift and unmeasured shapes.
 */
export const L1_INPUTS_GAS_PER_BYTE = 420;
/** Call-independent part, as `locate`'s. */
export const L1_INPUTS_FIXED_GAS = 25_000;

/**
 * Memory words `locateL1Inputs` touches: `locate`'s, and the records with their length word
 * and spilled word. A record is 16 + 15..50 bytes; per data byte the most is a ForcedWithdraw's
 * 46 from 6, which `maxOutputBytes` already bounds.
 */
function l1InputsWords(len: number): number {
  return locateWords(len) + 1 + Math.ceil(maxOutputBytes(len) / 32) + 1;
}

/**
 * Worst-case gas of `BatchCodec.locateL1Inputs` on any data of `len` bytes: 15.02M at
 * `maxBatchBytes()`. The whole queue-fault proof adds the hash chain over the inputs (≈ 400
 * gas each, and a walk that long needs that many real queue items) and the transaction's own
 * costs; measured at the cap on the costliest walk, 5,047 real ForcedWithdraws, 14.52M in all
 * (DisputeGame.t.sol `test_gas_proveDataFault_queueFault_*`), under EIP-7825's 16,777,216.
 */
export function l1InputsGasBound(len: number): number {
  return L1_INPUTS_FIXED_GAS + L1_INPUTS_GAS_PER_BYTE * len + memoryGas(l1InputsWords(len));
}

/** Calldata gas of bytes before EIP-7623: 4 per zero byte, 16 per other byte. */
export function calldataGas(bytes: Uint8Array): number {
  let g = 0;
  for (const b of bytes) g += b === 0 ? 4 : 16;
  return g;
}

/** EIP-7623 tokens (zero bytes + 4 × other bytes); a data-heavy call pays ≥ 10 gas per token. */
export function calldataTokens(bytes: Uint8Array): number {
  let t = 0;
  for (const b of bytes) t += b === 0 ? 1 : 4;
  return t;
}

const SUBMIT_ABI = [
  {
    type: "function",
    name: "submitBatch",
    stateMutability: "nonpayable",
    outputs: [],
    inputs: [
      {
        name: "h",
        type: "tuple",
        components: [
          { name: "batchIndex", type: "uint64" },
          { name: "parentHash", type: "bytes32" },
          { name: "prevStateRoot", type: "bytes32" },
          { name: "newStateRoot", type: "bytes32" },
          { name: "opCount", type: "uint64" },
          { name: "queuePosition", type: "uint64" },
          { name: "queueChainHash", type: "bytes32" },
          { name: "dataHash", type: "bytes32" },
          { name: "l1Timestamp", type: "uint64" },
        ],
      },
      { name: "data", type: "bytes" },
    ],
  },
] as const;

/**
 * The full calldata of `Rollup.submitBatch(header, data)` with a representative header
 * (hashes look random, counters are small), so its zero and non-zero bytes cost what a real
 * post's do.
 */
export function submitCalldata(data: Uint8Array, opCount = 1000): Uint8Array {
  const h = (label: string) => keccak256(toHex(label));
  const encoded = encodeFunctionData({
    abi: SUBMIT_ABI,
    functionName: "submitBatch",
    args: [
      {
        batchIndex: 12_345n,
        parentHash: h("parent"),
        prevStateRoot: h("prev"),
        newStateRoot: h("new"),
        opCount: BigInt(opCount),
        queuePosition: 67_890n,
        queueChainHash: h("queue"),
        dataHash: keccak256(data),
        l1Timestamp: 1_750_000_000n,
      },
      toHex(data),
    ],
  });
  return Uint8Array.from(Buffer.from(encoded.slice(2), "hex"));
}

/** Calldata gas (pre-7623 pricing) of posting `data`. */
export function submitCalldataGas(data: Uint8Array, opCount?: number): number {
  return calldataGas(submitCalldata(data, opCount));
}
