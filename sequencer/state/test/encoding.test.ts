/** Canonical encodings, the L1 hash chain, and EIP-712 signatures (the pre-pass). */
import { keccak256, concat } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { bytesToHex } from "../bytes.js";
import { MAX_ORACLE_SIGNERS, MAX_PRICE_POINTS } from "../constants.js";
import { decodeOp, decodeSequencedOp, encodeOp, encodeSequencedOp } from "../codec.js";
import { nextChainHash } from "../l1Input.js";
import type { Op, OracleUpdate } from "../ops.js";
import { recoverOp, signDigest, signingDigest, typedDataOf } from "../signing.js";
import { Driver, USD, jsonBigint } from "./fixtures.js";

const KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d" as const;
const account = privateKeyToAccount(KEY);
const domain = { chainId: 31337n, verifyingContract: "0x5fbdb2315678afecb367f032d93f642f64180aa3" as const };

const samples: Op[] = [
  { type: "Deposit", queueIndex: 7n, account: 3, owner: "0x00000000000000000000000000000000000000ab", asset: 1, amount: 10n ** 20n },
  { type: "ParamUpdate", queueIndex: 8n, key: 12, target: 1, value: `0x${"01".repeat(32)}` },
  { type: "PlaceOrder", account: 1, nonce: 1_700_000_000_000n, market: 2, flags: 9, price: 60_000n * USD, size: 10_000n, expiry: 0n, clientOrderId: 42n, signature: `0x${"11".repeat(65)}` },
  { type: "AdjustIsolatedMargin", account: 1, nonce: 5n, market: 0, delta: -123n, signature: `0x${"22".repeat(65)}` },
  { type: "Fill", makerAccount: 1, makerSlot: 3, takerAccount: 2, takerSlot: 63, price: 5n, size: 6n },
  {
    type: "OracleUpdate",
    timestamp: 9n,
    prices: [{ kind: 0, id: 1, price: 2n }, { kind: 1, id: 1, price: 3n }],
    signatures: [`0x${"33".repeat(65)}`],
  },
];

describe("operation encoding", () => {
  it("round-trips every sample and starts with the union selector", () => {
    for (const op of samples) {
      const bytes = encodeOp(op);
      expect(JSON.stringify(decodeOp(bytes), jsonBigint)).toBe(JSON.stringify(op, jsonBigint));
      expect(encodeOp(decodeOp(bytes))).toEqual(bytes);
    }
    expect(encodeOp(samples[0]!)[0]).toBe(0);
    expect(encodeOp(samples[4]!)[0]).toBe(9);
    // Deposit: selector + u64 + u32 + 20 + u8 + u128, little-endian.
    expect(encodeOp(samples[0]!).length).toBe(1 + 8 + 4 + 20 + 1 + 16);
    expect(bytesToHex(encodeOp(samples[0]!).subarray(1, 9))).toBe("0x0700000000000000");
  });

  it("rejects non-canonical bytes", () => {
    const bytes = encodeOp(samples[4]!);
    expect(() => decodeOp(concat([bytes, "0x00"]) as never)).toThrow();
    expect(() => decodeOp(bytes.subarray(0, bytes.length - 1))).toThrow();
    const bad = bytes.slice();
    bad[0] = 200;
    expect(() => decodeOp(bad)).toThrow();
  });

  it("carries each operation's timestamp in a SequencedOp", () => {
    const s = { timestamp: 123n, op: samples[2]! };
    expect(JSON.stringify(decodeSequencedOp(encodeSequencedOp(s)), jsonBigint)).toBe(JSON.stringify(s, jsonBigint));
  });
});

describe("encoding list limits", () => {
  const point = (id: number) => ({ kind: 0, id, price: 1n });
  const sig = `0x${"33".repeat(65)}` as const;

  it("encodes lists up to their SSZ limit and refuses one item more with an error naming the list", () => {
    const full: OracleUpdate = {
      type: "OracleUpdate",
      timestamp: 1n,
      prices: Array.from({ length: MAX_PRICE_POINTS }, (_, i) => point(i)),
      signatures: Array.from({ length: MAX_ORACLE_SIGNERS }, () => sig),
    };
    const bytes = encodeOp(full);
    expect(bytes.length).toBe(1 + 16 + MAX_PRICE_POINTS * 11 + MAX_ORACLE_SIGNERS * 65);
    expect(decodeOp(bytes)).toEqual(full);
    expect(() => encodeOp({ ...full, prices: [...full.prices, point(99)] })).toThrow(
      `cannot encode OracleUpdate.prices: ${MAX_PRICE_POINTS + 1} items exceed its SSZ list limit of ${MAX_PRICE_POINTS}`,
    );
    expect(() => encodeOp({ ...full, signatures: [...full.signatures, sig] })).toThrow(
      `cannot encode OracleUpdate.signatures: ${MAX_ORACLE_SIGNERS + 1} items exceed its SSZ list limit of ${MAX_ORACLE_SIGNERS}`,
    );
    expect(() => encodeSequencedOp({ timestamp: 1n, op: { ...full, prices: [...full.prices, point(99)] } })).toThrow(/list limit/);
  });
});

describe("L1 queue hash chain", () => {
  it("is keccak256(previous ‖ encodeOp(input)), extended as inputs are consumed", () => {
    const d = new Driver();
    d.deposit(0, 5n * USD);
    d.deposit(1, 6n * USD);
    const inputs = [
      { type: "Deposit", queueIndex: 0n, account: 0, owner: d.state.accounts[0]!.owner, asset: 0, amount: 5n * USD },
      { type: "Deposit", queueIndex: 1n, account: 1, owner: d.state.accounts[1]!.owner, asset: 0, amount: 6n * USD },
    ] as const;
    let chain: `0x${string}` = `0x${"00".repeat(32)}`;
    for (const i of inputs) chain = keccak256(concat([chain, bytesToHex(encodeOp(i))]));
    expect(bytesToHex(d.state.l1.chainHash)).toBe(chain);
    expect(bytesToHex(nextChainHash(new Uint8Array(32), inputs[0]))).toBe(keccak256(concat([`0x${"00".repeat(32)}`, bytesToHex(encodeOp(inputs[0]))])));
    expect(d.state.l1.nextIndex).toBe(2n);
  });
});

describe("EIP-712 signatures", () => {
  const order = { type: "PlaceOrder", account: 0, nonce: 1_000n, market: 0, flags: 0, price: 50_000n * USD, size: 10_000n, expiry: 0n, clientOrderId: 1n, signature: "0x" } as const;

  it("recovers the signer of a viem signTypedData signature", async () => {
    const signature = await account.signTypedData(typedDataOf(order, domain) as never);
    expect(recoverOp({ ...order, signature }, domain).signer).toBe(account.address.toLowerCase());
    // Our own signer produces the same 65 bytes (RFC 6979 deterministic k).
    expect(signDigest(signingDigest(order, domain), KEY)).toBe(signature);
  });

  it("binds the signature to the chain id and the rollup address", async () => {
    const signature = await account.signTypedData(typedDataOf(order, domain) as never);
    const me = account.address.toLowerCase();
    expect(recoverOp({ ...order, signature }, { ...domain, chainId: 1n }).signer).not.toBe(me);
    expect(recoverOp({ ...order, signature }, { ...domain, verifyingContract: "0x0000000000000000000000000000000000000001" }).signer).not.toBe(me);
    expect(recoverOp({ ...order, price: order.price + 1n, signature }, domain).signer).not.toBe(me);
  });

  it("rejects malformed and high-s signatures in the pre-pass, and the STF refuses them", () => {
    expect(recoverOp({ ...order, signature: "0x1234" }, domain).signer).toBeNull();
    const sig = signDigest(signingDigest(order, domain), KEY);
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const s = BigInt(`0x${sig.slice(66, 130)}`);
    const highS: `0x${string}` = `0x${sig.slice(2, 66)}${(n - s).toString(16).padStart(64, "0")}${sig[130] === "1" && sig[131] === "b" ? "1c" : "1b"}` as const;
    expect(recoverOp({ ...order, signature: highS }, domain).signer).toBeNull();
    const d = new Driver();
    d.deposit(0, 10_000n * USD);
    expect(d.apply({ ...order, nonce: d.now }, { signer: null }).reason).toBe("BAD_SIGNATURE");
  });

  it("recovers each oracle signer of an OracleUpdate", () => {
    const update: OracleUpdate = { type: "OracleUpdate", timestamp: 5n, prices: [{ kind: 0, id: 0, price: 7n }], signatures: [] };
    const digest = signingDigest(update, domain);
    const sigs = [signDigest(digest, KEY), "0x00" as const];
    expect(recoverOp({ ...update, signatures: sigs }, domain).oracleSigners).toEqual([account.address.toLowerCase(), null]);
  });
});

describe("EIP-712 digest", () => {
  it("equals viem's hashTypedData for every signed operation type", async () => {
    const { signingDigestViem } = await import("../signing.js");
    const sig = "0x" as const;
    const ops = [
      { type: "Withdraw", account: 7, nonce: 2n ** 60n, asset: 1, amount: 2n ** 127n - 1n, signature: sig },
      { type: "Transfer", account: 7, nonce: 5n, to: 9, asset: 0, amount: 1n, signature: sig },
      { type: "GrantSessionKey", account: 1, nonce: 5n, key: "0x00000000000000000000000000000000000000ab", expiry: 99n, signature: sig },
      { type: "RevokeSessionKey", account: 1, nonce: 5n, key: "0x00000000000000000000000000000000000000ab", signature: sig },
      { type: "PlaceOrder", account: 1, nonce: 5n, market: 63, flags: 15, price: 2n ** 62n - 1n, size: 3n, expiry: 4n, clientOrderId: 2n ** 64n - 1n, signature: sig },
      { type: "CancelOrder", account: 1, nonce: 5n, slot: 255, clientOrderId: 6n, signature: sig },
      { type: "CancelAll", account: 1, nonce: 5n, market: 0xffff, signature: sig },
      { type: "SetMarginMode", account: 1, nonce: 5n, market: 2, mode: 1, signature: sig },
      { type: "AdjustIsolatedMargin", account: 1, nonce: 5n, market: 2, delta: -(2n ** 63n), signature: sig },
      { type: "AdjustIsolatedMargin", account: 1, nonce: 5n, market: 2, delta: 12345n, signature: sig },
      { type: "Liquidate", account: 1, nonce: 5n, target: 3, market: 0xffff, signature: sig },
      { type: "SetPortfolioMargin", account: 1, nonce: 5n, enabled: 1, signature: sig },
      { type: "OracleUpdate", timestamp: 7n, prices: [{ kind: 0, id: 1, price: 2n }, { kind: 1, id: 3, price: 4n }], signatures: [] },
      { type: "OracleUpdate", timestamp: 7n, prices: [], signatures: [] },
    ] as const;
    for (const op of ops) {
      expect(bytesToHex(signingDigest(op as never, domain))).toBe(bytesToHex(signingDigestViem(op as never, domain)));
    }
  });
});
