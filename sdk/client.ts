/**
 * The Crossmargin client: signs operations with a viem account and speaks the sequencer's
 * HTTP and WebSocket API (docs/api.md). One client = one signing key acting for one
 * account (its own, or — for a session key — the account named by `sessionFor`).
 */
import type { LocalAccount } from "viem";
import { opToJson, toJson } from "../sequencer/api/schema.js";
import type { Hex, OracleUpdate, PricePoint, SignedOp } from "../sequencer/state/ops.js";
import {
  type CancelTarget,
  type IntLike,
  type MarginMode,
  type PlaceOrderParams,
  type TimeLike,
  adjustIsolatedMarginOp,
  cancelAllOp,
  cancelOrderOp,
  grantSessionKeyOp,
  liquidateOp,
  placeOrderOp,
  revokeSessionKeyOp,
  setMarginModeOp,
  setPortfolioMarginOp,
  toBigInt,
  transferOp,
  withdrawOp,
} from "./build.js";
import { CrossmarginApiError, CrossmarginNetworkError, CrossmarginResponseError } from "./errors.js";
import { NonceSource, type OpInput, type SigningDomain, signOperation, signOracleUpdate } from "./signing.js";
import { type Channel, type StreamMessage, type SubscribeOptions, type Subscription, type WebSocketConstructor, openSubscription } from "./stream.js";
import {
  type Account,
  type Batch,
  type Book,
  type DeadmanResult,
  type DevDepositResult,
  type Info,
  type LoggedOp,
  type Market,
  type ModifyResult,
  type Receipt,
  type ExitProof,
  type NavHistory,
  type WhatIf,
  type Reserves,
  type VerifierReport,
  type L1Batches,
  type L1Disputes,
  type WithdrawalProof,
  ShapeError,
  obj,
  parseAccount,
  parseBatch,
  parseBatches,
  parseBook,
  parseDeadman,
  parseDevDeposit,
  parseExitProof,
  parseIndex,
  parseInfo,
  parseLoggedOp,
  parseMarkets,
  parseModify,
  parseNavHistory,
  parseWhatIf,
  parseReceipt,
  parseReserves,
  parseVerifierReport,
  parseL1Batches,
  parseL1Disputes,
  parseWithdrawalProof,
} from "./types.js";

export interface CrossmarginClientConfig {
  /** The sequencer's base URL, e.g. `http://127.0.0.1:9545` (without `/v1`). */
  url: string;
  /** The signing key: the account's owner, or a session key (with `sessionFor`). */
  account: LocalAccount;
  /** The account to act for; resolved from `GET /v1/accounts/by-owner/:address` when omitted. */
  accountIndex?: number;
  /** Makes this a session-key client: `account` is the session key, acting for this account index. */
  sessionFor?: number;
  /** A fetch implementation (default: the global one). */
  fetch?: typeof fetch;
  /** A WebSocket constructor (e.g. `globalThis.WebSocket`); default: the `ws` package. */
  WebSocket?: WebSocketConstructor;
  /** Per-request timeout, ms (default 30 000). */
  timeoutMs?: number;
}

/** Any operation `submit` accepts: described (signed here) or already signed (including oracle updates). */
export type Submittable = OpInput | SignedOp | OracleUpdate;

/** A `submit` result, per operation in request order: its receipt, or the rejection (not thrown). */
export type SubmitResult = Receipt | CrossmarginApiError;

export type CrossmarginClient = ReturnType<typeof createCrossmarginClient>;

export function createCrossmarginClient(config: CrossmarginClientConfig) {
  const { account: signer } = config;
  if (config.sessionFor !== undefined && config.accountIndex !== undefined && config.sessionFor !== config.accountIndex) {
    throw new Error(`sessionFor (${config.sessionFor}) and accountIndex (${config.accountIndex}) name different accounts`);
  }
  const fixedIndex = config.sessionFor ?? config.accountIndex;
  const base = config.url.replace(/\/+$/, "");
  const doFetch = config.fetch ?? globalThis.fetch;
  if (typeof doFetch !== "function") throw new Error("no fetch implementation: pass `fetch` in the config");
  const timeoutMs = config.timeoutMs ?? 30_000;
  const nonces = new NonceSource();

  // ─── HTTP ──────────────────────────────────────────────────────────────────────────

  async function request<T>(method: "GET" | "POST", path: string, body: unknown, parse: (json: unknown) => T): Promise<T> {
    const url = base + path;
    let status: number;
    let text: string;
    let ok: boolean;
    try {
      const res = await doFetch(url, {
        method,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(toJson(body)),
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = res.status;
      ok = res.ok;
      text = await res.text();
    } catch (e) {
      throw new CrossmarginNetworkError(`${method} ${url} failed: ${networkReason(e, timeoutMs)}`, url, { cause: e });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new CrossmarginResponseError(`${method} ${url}: HTTP ${status} with a body that is not JSON: ${text.slice(0, 200)}`, status, text);
    }
    if (!ok) {
      throw (
        CrossmarginApiError.fromBody(json, status) ??
        new CrossmarginResponseError(`${method} ${url}: HTTP ${status} without a rejection body: ${text.slice(0, 200)}`, status, text)
      );
    }
    try {
      return parse(json);
    } catch (e) {
      if (e instanceof ShapeError) throw new CrossmarginResponseError(`${method} ${url}: unexpected response: ${e.message}`, status, text);
      throw e;
    }
  }
  const get = <T>(path: string, parse: (json: unknown) => T) => request("GET", path, undefined, parse);
  const post = <T>(path: string, body: unknown, parse: (json: unknown) => T) => request("POST", path, body, parse);

  // ─── lazily resolved context ───────────────────────────────────────────────────────

  /** Caches a lazy lookup; a failed one is forgotten so the next call tries again. */
  function once<T>(f: () => Promise<T>): () => Promise<T> {
    let p: Promise<T> | null = null;
    return () => {
      p ??= f().catch((e) => {
        p = null;
        throw e;
      });
      return p;
    };
  }
  // The domain and nonce window never change under a running Rollup contract, so one
  // /v1/info answer serves the client's lifetime.
  const cachedInfo = once(() => get("/v1/info", parseInfo));
  const resolveIndex = once(async () =>
    fixedIndex !== undefined ? fixedIndex : get(`/v1/accounts/by-owner/${signer.address.toLowerCase()}`, parseIndex),
  );

  async function signingDomain(): Promise<SigningDomain> {
    const i = await cachedInfo();
    return { chainId: i.chainId, verifyingContract: i.verifyingContract };
  }

  // ─── signing ───────────────────────────────────────────────────────────────────────

  /**
   * Fills in account (this client's, unless given) and a fresh nonce, then signs. The
   * nonce is drawn before any await, so concurrent calls get increasing nonces in call order.
   */
  async function signOp<T extends SignedOp>(op: OpInput<T>): Promise<T> {
    const nonce = nonces.next();
    const [domain, index] = await Promise.all([signingDomain(), op.account ?? resolveIndex()]);
    return signOperation<T>(signer, { ...op, account: index, nonce } as never, domain);
  }

  async function prepare(op: Submittable): Promise<SignedOp | OracleUpdate> {
    if (op.type === "OracleUpdate" || "signature" in op) return op as SignedOp | OracleUpdate;
    return signOp(op);
  }

  async function submitOp(op: Submittable): Promise<Receipt> {
    return post("/v1/op", opToJson(await prepare(op)), (j) => parseReceipt(j));
  }

  /** Several operations in one request (1–256); nonces ascend in array order. */
  async function submit(ops: readonly Submittable[]): Promise<SubmitResult[]> {
    const signed = await Promise.all(ops.map(prepare));
    return post("/v1/ops", { ops: signed.map(opToJson) }, (j) => {
      const results = obj(j, "").results;
      if (!Array.isArray(results) || results.length !== ops.length) throw new ShapeError("results", `an array of ${ops.length} results`, results);
      return results.map((r, i): SubmitResult => {
        const o = obj(r, `results[${i}]`);
        if (o.error === undefined) return parseReceipt(o, `results[${i}]`);
        const err = CrossmarginApiError.fromBody(o.error);
        if (err === null) throw new ShapeError(`results[${i}].error`, "a rejection { code, message }", o.error);
        return err;
      });
    });
  }

  // ─── dead-man's switch ─────────────────────────────────────────────────────────────

  async function deadman(at: TimeLike, opts: { market?: number } = {}): Promise<DeadmanResult> {
    const when = toBigInt(at, "at");
    const [info, cancelAll] = await Promise.all([cachedInfo(), signOp(cancelAllOp(opts.market))]);
    // The held CancelAll is applied at `at` and must pass the nonce-window check then;
    // arming one that cannot would leave the desk believing it is protected when it is not.
    if (when !== 0n && when - cancelAll.nonce > info.nonceWindowMs) {
      throw new RangeError(`deadman: at is ${when - cancelAll.nonce} ms away, beyond the nonce window (${info.nonceWindowMs} ms); push it nearer and re-arm periodically`);
    }
    return post("/v1/deadman", { cancelAll: opToJson(cancelAll), at: when }, parseDeadman);
  }

  return {
    /** The signing key's address. */
    address: signer.address.toLowerCase() as Hex,
    url: base,
    /** True for a session-key client. */
    isSession: config.sessionFor !== undefined,

    /** The account this client acts for (resolved once). */
    accountIndex: resolveIndex,
    /** The EIP-712 domain from `GET /v1/info` (fetched once). */
    signingDomain,
    /** The next nonce: max(now ms, last + 1). */
    nextNonce: () => nonces.next(),
    signOp,
    /** Signs an oracle update with `signers` (default: this client's key). */
    signOracleUpdate: async (update: { timestamp: IntLike; prices: { kind: number; id: number; price: IntLike }[] }, signers: readonly LocalAccount[] = [signer]) =>
      signOracleUpdate(
        {
          timestamp: toBigInt(update.timestamp, "timestamp"),
          prices: update.prices.map((p, i): PricePoint => ({ kind: p.kind, id: p.id, price: toBigInt(p.price, `prices[${i}].price`) })),
        },
        signers,
        await signingDomain(),
      ),

    // submitting
    submitOp,
    submit,
    withdraw: (p: { asset: number; amount: IntLike }) => submitOp(withdrawOp(p)),
    transfer: (p: { to: number; asset: number; amount: IntLike }) => submitOp(transferOp(p)),
    grantSessionKey: (p: { key: Hex | { address: Hex }; expiry: TimeLike }) => submitOp(grantSessionKeyOp(p)),
    revokeSessionKey: (key: Hex | { address: Hex }) => submitOp(revokeSessionKeyOp(key)),
    placeOrder: (p: PlaceOrderParams) => submitOp(placeOrderOp(p)),
    cancelOrder: (t: CancelTarget) => submitOp(cancelOrderOp(t)),
    cancelAll: (market?: number) => submitOp(cancelAllOp(market)),
    /** Cancel-replace in one request: the place is not tried when the cancel is refused. */
    modifyOrder: async (p: { cancel: CancelTarget; place: PlaceOrderParams }): Promise<ModifyResult> => {
      // Built before signing so a bad parameter fails before any nonce is used; cancel signed first.
      const c = cancelOrderOp(p.cancel);
      const pl = placeOrderOp(p.place);
      const [cancel, place] = await Promise.all([signOp(c), signOp(pl)]);
      return post("/v1/orders/modify", { cancel: opToJson(cancel), place: opToJson(place) }, parseModify);
    },
    setMarginMode: (market: number, mode: MarginMode) => submitOp(setMarginModeOp(market, mode)),
    adjustIsolatedMargin: (market: number, delta: IntLike) => submitOp(adjustIsolatedMarginOp(market, delta)),
    liquidate: (target: number, market: number) => submitOp(liquidateOp(target, market)),
    setPortfolioMargin: (enabled: boolean) => submitOp(setPortfolioMarginOp(enabled)),
    /** Arms (or moves) the dead-man's switch: cancel-all (of `market`, default every market) at `at` unless pushed again. */
    deadman,
    /** Pushes the dead-man's switch to `timeoutMs` from now; call it periodically as a heartbeat. */
    keepAlive: (timeoutMs: number, opts: { market?: number } = {}) => deadman(Date.now() + Math.round(timeoutMs), opts),
    disarmDeadman: () => deadman(0n),

    // queries
    /** Fresh `GET /v1/info` (seq, root and clock move; the signing domain stays cached). */
    info: () => get("/v1/info", parseInfo),
    account: async (index?: number): Promise<Account> => get(`/v1/accounts/${index ?? (await resolveIndex())}`, parseAccount),
    accountByOwner: (address: Hex): Promise<number> => get(`/v1/accounts/by-owner/${address.toLowerCase()}`, parseIndex),
    markets: (): Promise<Market[]> => get("/v1/markets", parseMarkets),
    book: (market: number, levels?: number): Promise<Book> => get(`/v1/markets/${market}/book${levels === undefined ? "" : `?levels=${levels}`}`, (j) => parseBook(j)),
    op: (seq: IntLike): Promise<LoggedOp> => get(`/v1/ops/${toBigInt(seq, "seq")}`, parseLoggedOp),
    batches: (from = 0, limit = 100): Promise<Batch[]> => get(`/v1/batches?from=${from}&limit=${limit}`, parseBatches),
    batch: (index: number): Promise<Batch> => get(`/v1/batches/${index}`, (j) => parseBatch(j)),
    /**
     * The SSZ proof of withdrawal record `index` against L1 batch `batch`'s post-state root
     * (default: the last sealed batch): pass it to `Vault.claimWithdrawal(batch, index,
     * withdrawal, proof)` once that batch is final on L1.
     */
    withdrawalProof: (index: number, batch?: number): Promise<WithdrawalProof> => {
      if (!Number.isSafeInteger(index) || index < 0) throw new Error(`withdrawalProof: index must be a non-negative integer, got ${index}`);
      if (batch !== undefined && (!Number.isSafeInteger(batch) || batch < 1)) throw new Error(`withdrawalProof: batch must be an L1 batch index >= 1, got ${batch}`);
      return get(`/v1/withdrawals/${index}/proof${batch === undefined ? "" : `?batch=${batch}`}`, parseWithdrawalProof);
    },
    /**
     * Account `account`'s exit proofs against L1 batch `batch`'s post-state root (default: the
     * last sealed; after a freeze pass `Rollup.exitBatchIndex()`): feed it to the vault client's
     * `exit` (sdk/l1.ts). Batch 0 is genesis.
     */
    exitProof: (account: number, batch?: number): Promise<ExitProof> => {
      if (!Number.isSafeInteger(account) || account < 0) throw new Error(`exitProof: account must be a non-negative integer, got ${account}`);
      if (batch !== undefined && (!Number.isSafeInteger(batch) || batch < 0)) throw new Error(`exitProof: batch must be an L1 batch index >= 0, got ${batch}`);
      return get(`/v1/accounts/${account}/exit-proof${batch === undefined ? "" : `?batch=${batch}`}`, parseExitProof);
    },
    /**
     * A portfolio's margin under isolated, cross and portfolio margin side by side (what
     * opting in would free): an existing account as it stands (`{ account }`), or a
     * hypothetical `{ collateral, positions }` at the current marks.
     */
    whatIfMargin: (input: { account: number } | { collateral: IntLike[]; positions: { market: number; size: IntLike; entryPrice?: IntLike }[] }): Promise<WhatIf> =>
      post(
        "/v1/margin/what-if",
        "account" in input
          ? { account: input.account }
          : {
              collateral: input.collateral.map((c, i) => toBigInt(c, `collateral[${i}]`)),
              positions: input.positions.map((p, i) => ({ market: p.market, size: toBigInt(p.size, `positions[${i}].size`), ...(p.entryPrice === undefined ? {} : { entryPrice: toBigInt(p.entryPrice, `positions[${i}].entryPrice`) }) })),
            },
        parseWhatIf,
      ),
    /** This account's (or `account`'s) NAV after each sealed L1 batch `from..to` (default: the last 100). */
    nav: async (range: { from?: number; to?: number; account?: number } = {}): Promise<NavHistory> => {
      const account = range.account ?? (await resolveIndex());
      const q = [range.from === undefined ? "" : `from=${range.from}`, range.to === undefined ? "" : `to=${range.to}`].filter(Boolean).join("&");
      return get(`/v1/accounts/${account}/nav${q ? `?${q}` : ""}`, parseNavHistory);
    },
    /**
     * Proof of reserves at L1 batch `batch` (default: the latest final one): check it against
     * L1 with `verifyReserves` (sdk/verify.ts), and your own record with `verifyMyAccount`.
     */
    reserves: (batch?: number): Promise<Reserves> => {
      if (batch !== undefined && (!Number.isSafeInteger(batch) || batch < 1)) throw new Error(`reserves: batch must be an L1 batch index >= 1, got ${batch}`);
      return get(`/v1/reserves${batch === undefined ? "" : `?batch=${batch}`}`, parseReserves);
    },
    /** L1 mode: sealed batches `from..from+limit-1` (op-log indexes) with their posts, stored roots and challenge windows. */
    l1Batches: (range: { from?: number; limit?: number } = {}): Promise<L1Batches> => {
      const { from = 0, limit = 100 } = range;
      if (!Number.isSafeInteger(from) || from < 0) throw new Error(`l1Batches: from must be a non-negative integer, got ${from}`);
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > 100) throw new Error(`l1Batches: limit must be 1..100, got ${limit}`);
      return get(`/v1/l1/batches?from=${from}&limit=${limit}`, parseL1Batches);
    },
    /** L1 mode: the DisputeGame's games with their moves in order, and its one-transaction fault proofs. */
    l1Disputes: (): Promise<L1Disputes> => get("/v1/l1/disputes", parseL1Disputes),
    openApi: (): Promise<unknown> => get("/v1/openapi.json", (j) => j),
    /** The verifier's judgement as the sequencer reports it (`--verifier-url`); throws VERIFIER_NOT_CONFIGURED / _UNREACHABLE / _BAD_RESPONSE. */
    verifier: (): Promise<VerifierReport> => get("/v1/verifier", parseVerifierReport),
    /** Dev mode only (`--dev-deposits`): credits `amount` of `asset` to `owner` (default: this key's address). */
    devDeposit: (p: { asset: number; amount: IntLike; owner?: Hex }): Promise<DevDepositResult> =>
      post("/v1/dev/deposit", { owner: (p.owner ?? signer.address).toLowerCase(), asset: p.asset, amount: toBigInt(p.amount, "amount") }, parseDevDeposit),

    /** Subscribes to stream channels; reconnects and resumes by itself until `close()`. */
    subscribe: (channels: readonly Channel[], onMessage: (m: StreamMessage) => void, opts?: SubscribeOptions): Subscription =>
      openSubscription(base, loadWebSocket, channels, onMessage, opts),
  };

  async function loadWebSocket(): Promise<WebSocketConstructor> {
    if (config.WebSocket) return config.WebSocket;
    // Loaded on first use so that a browser bundle passing its own WebSocket never pulls in `ws`.
    const mod = await import("ws");
    return mod.default as unknown as WebSocketConstructor;
  }
}

function networkReason(e: unknown, timeoutMs: number): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === "TimeoutError") return `no answer within ${timeoutMs} ms`;
  const cause = err?.cause;
  const detail = cause?.code ?? cause?.message;
  return detail ? `${err.message} (${detail})` : String(err?.message ?? e);
}

