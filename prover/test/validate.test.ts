/**
 * Validation of untrusted L1 data: BatchSubmitted logs and submitBatch calldata, each defect
 * refused with an error naming it.
 */
import { type Hex, encodeAbiParameters, encodeEventTopics, encodeFunctionData, keccak256 } from "viem";
import { describe, expect, it } from "vitest";
import { rollupAbi } from "../../sequencer/l1/abi.js";
import { type BatchHeader, headerHash } from "../../sequencer/l1/poster.js";
import { decodeSubmitBatch, parseBatchSubmittedLog } from "../verifier.js";

const ROLLUP = "0x00000000000000000000000000000000000000aa";
const h32 = (b: number) => `0x${b.toString(16).padStart(2, "0").repeat(32)}` as Hex;
const header: BatchHeader = {
  batchIndex: 3n,
  parentHash: h32(1),
  prevStateRoot: h32(2),
  newStateRoot: h32(3),
  opCount: 7n,
  queuePosition: 2n,
  queueChainHash: h32(4),
  dataHash: keccak256("0x1234"),
  l1Timestamp: 1_700_000_000n,
};
const HEADER_PARAM = rollupAbi.find((x) => x.type === "function" && x.name === "submitBatch")!.inputs[0];

function rawLog(over: Record<string, unknown> = {}, h: BatchHeader = header, hash: Hex = headerHash(header)) {
  return {
    address: ROLLUP,
    topics: encodeEventTopics({ abi: rollupAbi, eventName: "BatchSubmitted", args: { batchIndex: h.batchIndex } }),
    data: encodeAbiParameters([{ type: "bytes32" }, HEADER_PARAM], [hash, h]),
    blockNumber: "0x10",
    logIndex: "0x0",
    transactionHash: h32(9),
    removed: false,
    ...over,
  };
}

describe("BatchSubmitted log validation", () => {
  it("accepts the canonical log", () => {
    const l = parseBatchSubmittedLog(rawLog(), ROLLUP);
    expect(l).toMatchObject({ batchIndex: 3, headerHash: headerHash(header), blockNumber: 16n, logIndex: 0, txHash: h32(9) });
    expect(l.header.opCount).toBe(7n);
  });
  it("refuses each defect with its name", () => {
    const topics = rawLog().topics as Hex[];
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ address: "0x00000000000000000000000000000000000000bb" }, /not the Rollup/],
      [{ removed: true }, /removed log/],
      [{ blockNumber: "12" }, /blockNumber: not a hex quantity/],
      [{ transactionHash: "0x12" }, /transactionHash is not a 32-byte hash/],
      [{ topics: [topics[0]] }, /2 topics/],
      [{ topics: [h32(5), topics[1]] }, /topic 0 is not BatchSubmitted/],
      [{ topics: [topics[0], h32(0)] }, /indexed batch 0 and header batch 3 disagree/],
      [{ data: "0x1234" }, /not an ABI BatchSubmitted/],
      [{ data: `${rawLog().data}00000000000000000000000000000000000000000000000000000000000000ff` }, /the canonical encoding is 320/],
      [{ data: "nothex" }, /data is not hex/],
    ];
    for (const [over, err] of cases) expect(() => parseBatchSubmittedLog(rawLog(over), ROLLUP), JSON.stringify(over)).toThrow(err);
    expect(() => parseBatchSubmittedLog(rawLog({}, header, h32(6)), ROLLUP)).toThrow(/is not keccak256\(abi.encode\(header\)\)/);
  });
});

describe("submitBatch calldata", () => {
  it("decodes the header and data, refuses other calls and garbage", () => {
    const input = encodeFunctionData({ abi: rollupAbi, functionName: "submitBatch", args: [header, "0x1234"] });
    const d = decodeSubmitBatch(input, "tx");
    expect(headerHash(d.header)).toBe(headerHash(header));
    expect([...d.data]).toEqual([0x12, 0x34]);
    expect(() => decodeSubmitBatch(encodeFunctionData({ abi: rollupAbi, functionName: "postBond" }), "tx")).toThrow(/calls postBond, not submitBatch/);
    expect(() => decodeSubmitBatch("0xdeadbeef", "tx")).toThrow(/tx: calldata is not a Rollup call/);
    expect(() => decodeSubmitBatch(input.slice(0, 100), "tx")).toThrow(/not a Rollup call/);
    expect(() => decodeSubmitBatch(42, "tx")).toThrow(/calldata is not hex/);
  });
});
