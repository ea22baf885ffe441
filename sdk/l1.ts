/**
 * The desk's L1 side: the Vault and the Rollup through viem, for what no sequencer can refuse
 * or must not be needed for (docs/contracts.md): deposits, withdrawal claims, forced
 * operations (the slow path when the sequencer censors), and after a freeze the exit — prove
 * the account at the exit root, claim unclaimed withdrawal records, take back deposits the exit
 * root never consumed, settle, and collect the payout.
 *
 * Proofs come as values (`ExitProof`, `WithdrawalProof`): from a running sequencer
 * (`client.exitProof(account, batch)`), or, with the sequencer gone, from any copy of the state
 * at the exit batch (sequencer/l1/proofs.ts: `openOfflineProver(opLogFile, genesis)` over the
 * stopped sequencer's op log, or `new StateProver(state)` over a verifier's replay of L1 data).
 * `exit` checks the proof's root against `Rollup.batch(exitBatchIndex)` before sending
 * anything, so a proof from an untrusted source costs nothing when it is wrong.
 *
 * Every write is simulated first (a revert is reported with the contract's error name, before
 * any gas is spent), then sent from `walletClient`'s account and awaited to its receipt.
 */
import {
  type Account,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
  type Transport,
  type TransactionReceipt,
  type WalletClient,
  BaseError,
  ContractFunctionRevertedError,
  hexToBytes,
  parseEventLogs,
} from "viem";
import { mockErc20Abi, rollupAbi, vaultAbi } from "../sequencer/l1/abi.js";
import { decodeQueueItem } from "../sequencer/l1/derive.js";
import type { Deposit } from "../sequencer/state/ops.js";
import { type IntLike, toBigInt } from "./build.js";
import type { ExitProof, WithdrawalProof } from "./types.js";

export interface VaultClientConfig {
  /** Reads, simulations, receipts and logs. */
  publicClient: PublicClient<Transport, Chain>;
  /** Sends transactions from its account (the desk's L1 key). Omit for a read-only client. */
  walletClient?: WalletClient<Transport, Chain, Account>;
  /** The Vault's address (the Rollup's is read from it). */
  vault: Address;
  /** First block that can hold the Rollup's queue items (its deployment block; default 0): where log scans start. */
  fromBlock?: bigint;
}

/** A Vault or Rollup call reverted (in simulation: nothing was sent), or its transaction failed. */
export class VaultCallError extends Error {
  override readonly name = "VaultCallError";
  constructor(
    readonly functionName: string,
    /** The contract's custom error (`NotProven`, `WrongPhase`, `NotFreezable`, …), null when not decodable. */
    readonly errorName: string | null,
    /** The custom error's arguments. */
    readonly errorArgs: readonly unknown[],
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A forced operation's queue item and its inclusion deadline (L1 seconds). */
export interface ForcedOpResult {
  queueIndex: bigint;
  /** `Rollup.enqueuedAt(queueIndex)`. */
  enqueuedAt: bigint;
  /** `enqueuedAt + inclusionDeadline`: past it, `freeze()` succeeds unless a batch consumed the item. */
  deadline: bigint;
  txHash: Hex;
  blockNumber: bigint;
}

/** Where a queue item was consumed on L1: the first batch whose queue position passed it. */
export interface Inclusion {
  queueIndex: bigint;
  batch: number;
  /** L1 time (s) of that batch. */
  batchTimestamp: bigint;
  enqueuedAt: bigint;
  deadline: bigint;
  /** `batchTimestamp <= deadline`. */
  inTime: boolean;
}

export interface ExitState {
  frozen: boolean;
  /** `Rollup.FreezeReason`: 0 none, 1 inclusion deadline missed, 2 batch gap exceeded. */
  reason: number;
  frozenAt: bigint;
  /** The batch whose root every exit proves against (meaningful once frozen). */
  exitBatch: number;
  exitRoot: Hex | null;
  /** Queue items before it are in the exit root; deposits at or after it are refundable. */
  exitQueuePosition: bigint;
  /** Exits and claims are accepted before this L1 time; `settle()` from it on. */
  exitWindowEndsAt: bigint;
  settled: boolean;
}

/** A registered exit claim (`Vault.Claim`). */
export interface ExitClaim {
  claimId: bigint;
  recipient: Address;
  /** Settlement-asset atoms at the exit prices. */
  value: bigint;
  paid: boolean;
}

export type VaultClient = ReturnType<typeof createVaultClient>;

export function createVaultClient(config: VaultClientConfig) {
  const pub = config.publicClient;
  const vault = config.vault;
  const fromBlock = config.fromBlock ?? 0n;
  let rollupAddress: Promise<Address> | null = null;
  const rollup = (): Promise<Address> => {
    rollupAddress ??= (pub.readContract({ address: vault, abi: vaultAbi, functionName: "rollup" }) as Promise<Address>).catch((e) => {
      rollupAddress = null;
      throw e;
    });
    return rollupAddress;
  };
  const readVault = <T>(functionName: string, args: readonly unknown[] = []): Promise<T> =>
    pub.readContract({ address: vault, abi: vaultAbi, functionName: functionName as never, args: args as never }) as Promise<T>;
  const readRollup = async <T>(functionName: string, args: readonly unknown[] = []): Promise<T> =>
    pub.readContract({ address: await rollup(), abi: rollupAbi, functionName: functionName as never, args: args as never }) as Promise<T>;

  function wallet(): WalletClient<Transport, Chain, Account> {
    if (!config.walletClient) throw new Error("this vault client is read-only: pass walletClient to send transactions");
    return config.walletClient;
  }

  /** Simulates, sends and awaits one call; a revert becomes a VaultCallError naming the contract's error. */
  async function send(address: Address, abi: typeof vaultAbi | typeof rollupAbi | typeof mockErc20Abi, functionName: string, args: readonly unknown[], value?: bigint): Promise<TransactionReceipt> {
    const w = wallet();
    let request;
    try {
      ({ request } = await pub.simulateContract({ address, abi, functionName: functionName as never, args: args as never, account: w.account, value } as never));
    } catch (e) {
      throw callError(functionName, e);
    }
    const hash = await w.writeContract(request as never);
    const receipt = await pub.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new VaultCallError(functionName, null, [], `${functionName}: transaction ${hash} reverted on chain (state changed between simulation and inclusion?)`);
    return receipt;
  }

  function events(receipt: TransactionReceipt, eventName: string) {
    const logs = parseEventLogs({ abi: vaultAbi, logs: receipt.logs, eventName: eventName as never }) as unknown as { address: Address; args: Record<string, unknown> }[];
    return logs.filter((l) => l.address.toLowerCase() === vault.toLowerCase());
  }

  async function tokens(): Promise<Address[]> {
    const n = Number(await readVault<bigint>("assetCount"));
    return Promise.all(Array.from({ length: n }, (_, a) => readVault<Address>("tokens", [BigInt(a)])));
  }

  async function forced(functionName: "forceWithdraw" | "forceClose", args: readonly unknown[], eventName: string): Promise<ForcedOpResult> {
    const [fee, window] = await Promise.all([readRollup<bigint>("forcedOpFee"), readRollup<bigint>("inclusionDeadline")]);
    const receipt = await send(vault, vaultAbi, functionName, args, fee);
    const ev = events(receipt, eventName)[0];
    if (!ev) throw new Error(`${functionName}: no ${eventName} event in ${receipt.transactionHash}`);
    const queueIndex = ev.args.queueIndex as bigint;
    const enqueuedAt = await readRollup<bigint>("enqueuedAt", [queueIndex]);
    return { queueIndex, enqueuedAt, deadline: enqueuedAt + window, txHash: receipt.transactionHash, blockNumber: receipt.blockNumber };
  }

  async function exitState(): Promise<ExitState> {
    const [reason, frozenAt, exitBatchIndex, exitWindow, settled] = await Promise.all([
      readRollup<number>("freezeReason"),
      readRollup<bigint>("frozenAt"),
      readRollup<bigint>("exitBatchIndex"),
      readRollup<bigint>("exitWindow"),
      readVault<boolean>("settled"),
    ]);
    const frozen = reason !== 0;
    const b = frozen ? await readRollup<{ stateRoot: Hex; queuePosition: bigint }>("batch", [exitBatchIndex]) : null;
    return {
      frozen,
      reason,
      frozenAt,
      exitBatch: Number(exitBatchIndex),
      exitRoot: b?.stateRoot ?? null,
      exitQueuePosition: b ? BigInt(b.queuePosition) : 0n,
      exitWindowEndsAt: frozenAt + exitWindow,
      settled,
    };
  }

  async function frozenState(what: string): Promise<ExitState & { exitRoot: Hex }> {
    const s = await exitState();
    if (!s.frozen || s.exitRoot === null) throw new Error(`${what}: the rollup is not frozen (Rollup.freeze() first)`);
    return s as ExitState & { exitRoot: Hex };
  }

  async function isProven(functionName: "marketMark" | "assetRecord", id: number): Promise<boolean> {
    try {
      await readVault(functionName, [id]);
      return true;
    } catch (e) {
      if (callError(functionName, e).errorName === "NotProven") return false;
      throw e;
    }
  }

  function registeredClaim(receipt: TransactionReceipt, what: string): ExitClaim {
    const ev = events(receipt, "ExitClaimRegistered")[0];
    if (!ev) throw new Error(`${what}: no ExitClaimRegistered event in ${receipt.transactionHash}`);
    return { claimId: ev.args.claimId as bigint, recipient: ev.args.recipient as Address, value: ev.args.value as bigint, paid: false };
  }

  return {
    vault,
    rollup,
    tokens,
    /** The account index of `owner` (default: the wallet's address); reverts if it never deposited. */
    accountOf: async (owner?: Address): Promise<number> => Number(await readVault<number>("accountOf", [owner ?? wallet().account.address])),

    /** Approves (when the allowance is short) and deposits `amount` atoms of `asset`; the first deposit registers the account. */
    async deposit(p: { asset: number; amount: IntLike }): Promise<{ account: number; queueIndex: bigint; txHash: Hex }> {
      const amount = toBigInt(p.amount, "amount");
      if (amount <= 0n) throw new RangeError(`deposit: amount must be positive, got ${amount}`);
      checkId(p.asset, "asset");
      const token = (await tokens())[p.asset];
      if (token === undefined) throw new RangeError(`deposit: no asset ${p.asset} in the vault`);
      const me = wallet().account.address;
      const allowance = (await pub.readContract({ address: token, abi: mockErc20Abi, functionName: "allowance", args: [me, vault] })) as bigint;
      if (allowance < amount) await send(token, mockErc20Abi, "approve", [vault, amount]);
      const receipt = await send(vault, vaultAbi, "deposit", [p.asset, amount]);
      const ev = events(receipt, "Deposited")[0]!;
      return { account: Number(ev.args.account), queueIndex: ev.args.queueIndex as bigint, txHash: receipt.transactionHash };
    },

    /** `Vault.forceWithdraw`: moves `amount` of `asset` into a withdrawal record through L1 (pays `forcedOpFee`). */
    forceWithdraw: (p: { account: number; asset: number; amount: IntLike }): Promise<ForcedOpResult> => {
      checkId(p.account, "account");
      checkId(p.asset, "asset");
      const amount = toBigInt(p.amount, "amount");
      if (amount <= 0n) throw new RangeError(`forceWithdraw: amount must be positive, got ${amount}`);
      return forced("forceWithdraw", [p.account, p.asset, amount], "ForcedWithdrawRequested");
    },
    /** `Vault.forceClose`: closes the account's whole position in `market` at the oracle price against the backstop (pays `forcedOpFee`). */
    forceClose: (p: { account: number; market: number }): Promise<ForcedOpResult> => {
      checkId(p.account, "account");
      checkId(p.market, "market");
      return forced("forceClose", [p.account, p.market], "ForcedCloseRequested");
    },
    /**
     * The L1 batch that consumed queue item `queueIndex` (the first whose queue position passed
     * it; positions never decrease), and whether it came before the item's deadline; null while
     * no batch on the chain has.
     */
    async inclusion(queueIndex: IntLike): Promise<Inclusion | null> {
      const q = toBigInt(queueIndex, "queueIndex");
      const [next, enqueuedAt, window] = await Promise.all([readRollup<bigint>("nextBatchIndex"), readRollup<bigint>("enqueuedAt", [q]), readRollup<bigint>("inclusionDeadline")]);
      const position = async (i: number) => BigInt((await readRollup<{ queuePosition: bigint }>("batch", [BigInt(i)])).queuePosition);
      let lo = 1;
      let hi = Number(next) - 1;
      if (hi < 1 || (await position(hi)) <= q) return null;
      while (lo < hi) {
        const mid = Math.floor((lo + hi) / 2);
        if ((await position(mid)) > q) hi = mid;
        else lo = mid + 1;
      }
      const b = await readRollup<{ timestamp: number | bigint }>("batch", [BigInt(lo)]);
      const batchTimestamp = BigInt(b.timestamp);
      return { queueIndex: q, batch: lo, batchTimestamp, enqueuedAt, deadline: enqueuedAt + window, inTime: batchTimestamp <= enqueuedAt + window };
    },

    /**
     * `Vault.claimWithdrawal` with a proof (anyone may send it; the record's owner is paid).
     * Before a freeze it pays at once (the batch must be final); after a freeze the proof must be
     * against the exit batch and registers an exit claim, returned here.
     */
    async claimWithdrawal(p: WithdrawalProof): Promise<{ txHash: Hex; claim: ExitClaim | null }> {
      const receipt = await send(vault, vaultAbi, "claimWithdrawal", [BigInt(p.batch), BigInt(p.index), p.withdrawal, p.proof]);
      const registered = events(receipt, "ExitClaimRegistered").length > 0;
      return { txHash: receipt.transactionHash, claim: registered ? registeredClaim(receipt, "claimWithdrawal") : null };
    },

    /** `Rollup.freeze()` (anyone): succeeds once an item is past its deadline or no batch came for `maxBatchGap`. */
    async freeze(): Promise<ExitState> {
      await send(await rollup(), rollupAbi, "freeze", []);
      return exitState();
    },
    exitState,

    /**
     * Exits one account: checks the proof is against the exit batch's root, proves the exit
     * marks of its markets and the records of the assets not proven yet (`proveMarket`,
     * `proveAsset`, once each for everyone), then `Vault.exit`. Returns the registered claim
     * (its value is the account's equity at the exit root, clamped at zero).
     */
    async exit(p: ExitProof): Promise<ExitClaim & { txHash: Hex }> {
      const s = await frozenState("exit");
      if (p.batch !== s.exitBatch) throw new Error(`exit: the proof is against L1 batch ${p.batch}, the exit batch is ${s.exitBatch}`);
      if (p.root.toLowerCase() !== s.exitRoot.toLowerCase()) throw new Error(`exit: the proof's root ${p.root} is not the exit batch's ${s.exitRoot} (a proof from another state)`);
      for (const a of p.assets) {
        if (!(await isProven("assetRecord", a.asset))) await send(vault, vaultAbi, "proveAsset", [a.asset, a.record, a.proof]);
      }
      for (const m of p.markets) {
        if (!(await isProven("marketMark", m.market))) await send(vault, vaultAbi, "proveMarket", [m.market, m.price, m.fundingIndex, m.priceProof, m.fundingProof]);
      }
      const receipt = await send(vault, vaultAbi, "exit", [p.account]);
      return { ...registeredClaim(receipt, "exit"), txHash: receipt.transactionHash };
    },
    hasExited: (account: number): Promise<boolean> => readVault<boolean>("hasExited", [account]),

    /**
     * Deposits the exit root never consumed (queue index at or after the exit batch's queue
     * position) and not refunded yet, read from the Rollup's `Enqueued` logs (L1 data alone);
     * of `owner` when given.
     */
    async unconsumedDeposits(owner?: Address): Promise<Deposit[]> {
      const s = await frozenState("unconsumedDeposits");
      const r = await rollup();
      const [enq, refunded] = await Promise.all([
        pub.getContractEvents({ address: r, abi: rollupAbi, eventName: "Enqueued", fromBlock }),
        pub.getContractEvents({ address: vault, abi: vaultAbi, eventName: "DepositRefunded", fromBlock }),
      ]);
      const done = new Set(refunded.map((l) => (l.args as { queueIndex: bigint }).queueIndex));
      const out: Deposit[] = [];
      for (const l of enq) {
        const { queueIndex, item } = l.args as { queueIndex: bigint; item: Hex };
        if (queueIndex < s.exitQueuePosition || done.has(queueIndex)) continue;
        const input = decodeQueueItem(hexToBytes(item), { queueIndex });
        if (input.type !== "Deposit") continue;
        if (owner !== undefined && input.owner.toLowerCase() !== owner.toLowerCase()) continue;
        out.push(input);
      }
      return out;
    },
    /** `Vault.refundDeposit`: returns an unconsumed deposit in full to its owner (after a freeze, before `settle`). */
    async refundDeposit(d: Deposit): Promise<{ txHash: Hex }> {
      const receipt = await send(vault, vaultAbi, "refundDeposit", [d.queueIndex, d.account, d.owner, d.asset, d.amount]);
      return { txHash: receipt.transactionHash };
    },

    /** `Vault.settle()` (anyone, once, after the exit window): snapshots the tokens and fixes the payout ratio. */
    async settle(): Promise<{ totalClaims: bigint; vaultValue: bigint; denominator: bigint }> {
      const receipt = await send(vault, vaultAbi, "settle", []);
      const ev = events(receipt, "Settled")[0]!;
      return { totalClaims: ev.args.totalClaims as bigint, vaultValue: ev.args.vaultValue as bigint, denominator: ev.args.denominator as bigint };
    },
    /** What claim `claimId` receives of each token (index = asset id; zeros before `settle`). */
    payoutOf: async (claimId: IntLike): Promise<bigint[]> => {
      const id = toBigInt(claimId, "claimId");
      const n = Number(await readVault<bigint>("assetCount"));
      return Promise.all(Array.from({ length: n }, (_, a) => readVault<bigint>("payoutOf", [id, BigInt(a)])));
    },
    /** `Vault.payout(claimId)` (anyone, once per claim, after `settle`): sends the claim's share of every token to its recipient. */
    async payout(claimId: IntLike): Promise<{ recipient: Address; amounts: bigint[]; txHash: Hex }> {
      const id = toBigInt(claimId, "claimId");
      const n = Number(await readVault<bigint>("assetCount"));
      // Fixed at settlement: the amounts read now are the amounts sent.
      const amounts = await Promise.all(Array.from({ length: n }, (_, a) => readVault<bigint>("payoutOf", [id, BigInt(a)])));
      const receipt = await send(vault, vaultAbi, "payout", [id]);
      const ev = events(receipt, "ExitPaid")[0]!;
      return { recipient: ev.args.recipient as Address, amounts, txHash: receipt.transactionHash };
    },
    /** Every registered exit claim, in id order. */
    async claims(): Promise<ExitClaim[]> {
      const n = Number(await readVault<bigint>("claimCount"));
      return Promise.all(
        Array.from({ length: n }, async (_, i) => {
          const c = await readVault<{ recipient: Address; value: bigint; paid: boolean }>("claim", [BigInt(i)]);
          return { claimId: BigInt(i), recipient: c.recipient, value: c.value, paid: c.paid };
        }),
      );
    },
  };
}

function checkId(v: number, name: string): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${name} must be a non-negative integer, got ${v}`);
}

function callError(functionName: string, e: unknown): VaultCallError {
  if (e instanceof BaseError) {
    const revert = e.walk((x) => x instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null;
    const name = revert?.data?.errorName ?? null;
    const args = (revert?.data?.args as readonly unknown[] | undefined) ?? [];
    const detail = name ? `${name}(${args.map(String).join(", ")})` : e.shortMessage;
    return new VaultCallError(functionName, name, args, `${functionName} reverts: ${detail}`, { cause: e });
  }
  return new VaultCallError(functionName, null, [], `${functionName} failed: ${(e as Error)?.message ?? String(e)}`, { cause: e });
}
