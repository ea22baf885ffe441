/**
 * The `/v1/stream` subscription: one WebSocket, resubscribed after every disconnect with
 * `fromSeq` = last seen seq + 1 so the caller sees every operation once, in op-log order,
 * across reconnects (the sequencer replays from its ring). docs/api.md §WebSocket stream.
 */
import { CrossmarginApiError, CrossmarginNetworkError, CrossmarginResponseError } from "./errors.js";
import { type Book, type FillEvent, type OpRecord, ShapeError, obj, parseBook, parseFillEvent, parseOpRecord, toBig } from "./types.js";

export type Channel =
  | { type: "receipts" }
  | { type: "fills"; market?: number }
  | { type: "account"; account: number }
  | { type: "book"; market: number; levels?: number };

/** `type` repeats `channel.type` at the top level: TypeScript narrows `data` on it (not on a nested field). */
export type StreamMessage =
  | { type: "receipts"; channel: { type: "receipts" }; seq: bigint; data: OpRecord }
  | { type: "account"; channel: { type: "account"; account: number }; seq: bigint; data: OpRecord }
  | { type: "fills"; channel: { type: "fills"; market?: number }; seq: bigint; data: FillEvent }
  | { type: "book"; channel: { type: "book"; market: number; levels?: number }; seq: bigint; data: Book };

/**
 * The part of the WebSocket API used here, common to the `ws` package and the WHATWG
 * WebSocket (browsers, Node 22+). Handlers take `any` so both libraries' event types fit.
 */
export interface WebSocketLike {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  // biome-ignore lint: event types differ between ws and the DOM; only .data/.code/.message are read.
  onopen: ((ev: any) => void) | null;
  // biome-ignore lint: see above
  onmessage: ((ev: any) => void) | null;
  // biome-ignore lint: see above
  onclose: ((ev: any) => void) | null;
  // biome-ignore lint: see above
  onerror: ((ev: any) => void) | null;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface SubscribeOptions {
  /**
   * Everything that goes wrong without ending the subscription is reported here:
   * disconnects (CrossmarginNetworkError, followed by a reconnect), stream errors
   * (CrossmarginApiError; RESUME_TOO_OLD means operations were missed, see below),
   * unreadable messages and exceptions thrown by `onMessage`. Defaults to console.error.
   * An error answering the subscription itself (a bad channel) ends the subscription.
   */
  onError?: (e: Error) => void;
  /** Called after each (re)subscription is acknowledged. */
  onSubscribed?: (s: { fromSeq: bigint; head: bigint }) => void;
  /** Start from this seq (replayed from the sequencer's ring) instead of the live head. */
  fromSeq?: bigint;
  /** Reconnect backoff: doubles from `initialDelayMs` up to `maxDelayMs` (defaults 250 and 10 000), with jitter. */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
}

export interface Subscription {
  /** Stops receiving and reconnecting. */
  close(): void;
  /** The highest seq seen (or acknowledged as the starting head); null before the first acknowledgement. */
  readonly lastSeq: bigint | null;
}

export function openSubscription(
  baseUrl: string,
  getSocket: () => Promise<WebSocketConstructor>,
  channels: readonly Channel[],
  onMessage: (m: StreamMessage) => void,
  opts: SubscribeOptions = {},
): Subscription {
  const streamUrl = `${baseUrl.replace(/^http/, "ws")}/v1/stream`;
  const onError = opts.onError ?? ((e: Error) => console.error("crossmargin stream:", e));
  const initialDelay = opts.reconnect?.initialDelayMs ?? 250;
  const maxDelay = opts.reconnect?.maxDelayMs ?? 10_000;
  const chans = channels.map((c) => ({ ...c }));
  let last: bigint | null = opts.fromSeq === undefined ? null : opts.fromSeq - 1n;
  let closed = false;
  let socket: WebSocketLike | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let attempt = 0;

  const report = (e: unknown) => {
    try {
      onError(e instanceof Error ? e : new Error(String(e)));
    } catch {
      // An onError that throws must not break the socket's event handling.
    }
  };
  const seen = (seq: bigint) => {
    if (last === null || seq > last) last = seq;
  };
  const subscribeMessage = () => JSON.stringify({ op: "subscribe", channels: chans, ...(last === null ? {} : { fromSeq: String(last + 1n) }) });

  function parse(m: Record<string, unknown>): StreamMessage {
    const channel = obj(m.channel, "channel") as Channel;
    const seq = toBig(m.seq, "seq");
    switch (channel.type) {
      case "receipts":
        return { type: "receipts", channel, seq, data: parseOpRecord(m.data, "data") };
      case "account":
        return { type: "account", channel, seq, data: parseOpRecord(m.data, "data") };
      case "fills":
        return { type: "fills", channel, seq, data: parseFillEvent(m.data, "data") };
      case "book":
        return { type: "book", channel, seq, data: parseBook(m.data, seq) };
      default:
        throw new ShapeError("channel.type", "receipts | fills | account | book", (channel as { type: unknown }).type);
    }
  }

  function connect(): void {
    timer = null;
    if (closed) return;
    getSocket().then(
      (Ctor) => {
        if (closed) return;
        let ws: WebSocketLike;
        try {
          ws = new Ctor(streamUrl);
        } catch (e) {
          report(new CrossmarginNetworkError(`cannot open ${streamUrl}: ${(e as Error).message}`, streamUrl, { cause: e }));
          return retry();
        }
        socket = ws;
        let acked = false;
        let failure: string | undefined;
        ws.onopen = () => ws.send(subscribeMessage());
        ws.onerror = (ev) => {
          // The close event follows; keep the reason to report it there, once.
          failure = ev?.error?.message ?? ev?.message ?? failure;
        };
        ws.onclose = (ev) => {
          if (socket === ws) socket = null;
          if (closed) return;
          report(new CrossmarginNetworkError(`stream ${streamUrl} disconnected (${failure ?? `code ${ev?.code ?? "?"}`}); reconnecting`, streamUrl));
          retry();
        };
        ws.onmessage = (ev) => {
          if (closed) return;
          let m: Record<string, unknown>;
          try {
            m = obj(JSON.parse(String(ev.data)), "");
          } catch (e) {
            return report(new CrossmarginResponseError(`unreadable stream message: ${(e as Error).message}`, 0, String(ev.data)));
          }
          if (m.subscribed !== undefined) {
            acked = true;
            attempt = 0;
            try {
              const s = obj(m.subscribed, "subscribed");
              const fromSeq = toBig(s.fromSeq, "subscribed.fromSeq");
              // A fresh subscription starts after the head: having "seen" it means a
              // disconnect before the first message resumes exactly there, missing nothing.
              seen(fromSeq - 1n);
              opts.onSubscribed?.({ fromSeq, head: toBig(s.head, "subscribed.head") });
            } catch (e) {
              report(e);
            }
            return;
          }
          if (m.error !== undefined) {
            const err = CrossmarginApiError.fromBody(m.error) ?? new CrossmarginResponseError("unreadable stream error", 0, String(ev.data));
            report(err);
            if (err instanceof CrossmarginApiError && err.code === "RESUME_TOO_OLD") {
              // The gap is gone from the sequencer's ring: continue live; the caller has been
              // told (onError) and must re-query state to cover what was missed.
              last = null;
              ws.send(subscribeMessage());
            } else if (!acked) {
              // The subscription itself was refused (bad channel): retrying cannot help.
              close();
            }
            return;
          }
          let msg: StreamMessage;
          try {
            msg = parse(m);
          } catch (e) {
            return report(new CrossmarginResponseError(`unreadable stream message: ${(e as Error).message}`, 0, String(ev.data)));
          }
          seen(msg.seq);
          try {
            onMessage(msg);
          } catch (e) {
            report(e);
          }
        };
      },
      (e) => {
        // No WebSocket implementation could be loaded: a setup problem, not a network one.
        report(e);
        close();
      },
    );
  }

  function retry(): void {
    if (closed || timer !== null) return;
    const base = Math.min(maxDelay, initialDelay * 2 ** attempt);
    attempt++;
    timer = setTimeout(connect, base / 2 + Math.random() * (base / 2));
  }

  function close(): void {
    if (closed) return;
    closed = true;
    if (timer !== null) clearTimeout(timer);
    timer = null;
    const ws = socket;
    socket = null;
    try {
      ws?.close();
    } catch {
      // Closing a socket that is still connecting may throw in some implementations; it is going away either way.
    }
  }

  connect();
  return {
    close,
    get lastSeq() {
      return last;
    },
  };
}
