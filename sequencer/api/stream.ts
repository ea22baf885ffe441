/**
 * The WebSocket stream: receipts, fills, account updates and book changes, in op-log order,
 * published only once durable (a subscriber never sees an op a crash could take back).
 * Resumable: every message carries its op's seq; a client that reconnects subscribes with
 * `fromSeq` and gets what it missed from a bounded ring of recent records.
 */
import type { WebSocket } from "ws";
import { z } from "zod";
import type { Record_, SequencerCore } from "../core/sequencer.js";
import { ERRORS, type ErrorCode } from "./errors.js";
import { zodError } from "./ingress.js";
import { toJson } from "./schema.js";

const ChannelSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("receipts") }).strict(),
  z.object({ type: z.literal("fills"), market: z.number().int().min(0).optional() }).strict(),
  z.object({ type: z.literal("account"), account: z.number().int().min(0) }).strict(),
  z.object({ type: z.literal("book"), market: z.number().int().min(0), levels: z.number().int().min(1).max(500).optional() }).strict(),
]);
type Channel = z.output<typeof ChannelSchema>;
const SubscribeSchema = z
  .object({
    op: z.literal("subscribe"),
    channels: z.array(ChannelSchema).min(1).max(64),
    fromSeq: z.union([z.string().regex(/^[0-9]+$/), z.number().int().min(0)]).optional(),
  })
  .strict();
type Subscribe = z.output<typeof SubscribeSchema>;

/**
 * A client's stream message, checked: the subscription, or the error to send back. The
 * gateway (sequencer/gateway/) runs the same check before anything reaches the sequencer.
 */
export function parseSubscribe(data: string): { ok: true; msg: Subscribe } | { ok: false; error: { code: ErrorCode; message: string; field?: string } } {
  let msg: unknown;
  try {
    msg = JSON.parse(data);
  } catch {
    return { ok: false, error: { code: "MALFORMED_JSON", message: ERRORS.MALFORMED_JSON.message } };
  }
  const r = SubscribeSchema.safeParse(msg);
  if (!r.success) return { ok: false, error: zodError(r.error, "").body() };
  return { ok: true, msg: r.data };
}

interface Client {
  ws: WebSocket;
  channels: Channel[];
  /** Records up to this seq were sent (or skipped); live records above it are sent. */
  sentTo: number;
}

export function recordJson(r: Record_) {
  return toJson({
    seq: r.seq,
    timestamp: r.op.timestamp,
    op: r.op.op,
    signer: r.signer,
    ok: r.receipt.ok,
    reason: r.receipt.reason,
    events: r.receipt.events,
  }) as Record<string, unknown>;
}

/** A record as the stream sends it: recordJson's shape (bigints as strings, ids as numbers). */
interface Published {
  seq: number;
  op: { account?: number; makerAccount?: number; takerAccount?: number; to?: number; target?: number };
  events: { kind: string; market?: number }[];
}

function touches(r: Published, account: number): boolean {
  const op = r.op;
  if (op.account === account || op.makerAccount === account || op.takerAccount === account || op.to === account || op.target === account) return true;
  for (const e of r.events) {
    const x = e as { account?: number; maker?: number; taker?: number; counterparty?: number; liquidator?: number };
    if (x.account === account || x.maker === account || x.taker === account || x.counterparty === account || x.liquidator === account) return true;
  }
  return false;
}

function bookMarkets(r: Published, out: Set<number>): void {
  for (const e of r.events) {
    if (e.kind === "OrderPlaced" || e.kind === "Fill") out.add(e.market!);
    else if (e.kind === "OrderRemoved") {
      // The slot's market is gone from the state by now; the engine's view tells nothing more,
      // so a removal refreshes every market with a book subscriber (cheap: one depth each).
      out.add(-1);
    }
  }
}

export class StreamHub {
  /**
   * Recent records as JSON strings, oldest first. PERF: strings, not the receipts' object
   * graphs: a ring of 100k live object graphs made every major GC pause tens of ms (the ack
   * p99 showed it); strings cost the collector nothing to trace.
   */
  private readonly ring: { seq: number; json: string }[] = [];
  private readonly waiting: Record_[] = [];
  private scheduled = false;
  private readonly clients = new Set<Client>();
  /** Highest seq published. */
  private published: number;

  /** WebSocket clients attached (the metrics' stream_clients). */
  get clientCount(): number {
    return this.clients.size;
  }

  constructor(
    private readonly core: SequencerCore,
    readonly capacity: number,
  ) {
    this.published = core.log.lastSeq();
    core.onRecord((r) => {
      this.waiting.push(r);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // The op log commits on setImmediate; this check runs after it in the same phase.
    setImmediate(() => this.publishDurable());
  }

  private publishDurable(): void {
    this.scheduled = false;
    const durableTo = this.core.log.lastSeq();
    let n = 0;
    while (n < this.waiting.length && this.waiting[n]!.seq <= durableTo) n++;
    if (n === 0) {
      if (this.waiting.length > 0) setTimeout(() => this.schedule(), 1);
      return;
    }
    const batch = this.waiting.splice(0, n).map((r) => recordJson(r) as unknown as Published);
    for (const r of batch) {
      this.ring.push({ seq: r.seq, json: JSON.stringify(r) });
      this.published = r.seq;
    }
    if (this.ring.length > this.capacity * 1.25) this.ring.splice(0, this.ring.length - this.capacity);
    if (this.clients.size > 0) for (const c of this.clients) this.send(c, batch, false);
    if (this.waiting.length > 0) this.schedule();
  }

  /** A published record still in the ring (recordJson's shape). */
  recent(seq: number): { events: unknown[] } | undefined {
    const r = this.ring[seq - (this.ring[0]?.seq ?? 0)];
    return r?.seq === seq ? (JSON.parse(r.json) as { events: unknown[] }) : undefined;
  }

  /** Oldest seq the ring can replay. */
  get oldest(): number {
    return this.ring[0]?.seq ?? this.published + 1;
  }

  attach(ws: WebSocket): void {
    let client: Client | null = null;
    ws.on("message", (data) => {
      const r = parseSubscribe(String(data));
      if (!r.ok) return this.error(ws, r.error.code, r.error.message, r.error.field);
      if (client) this.clients.delete(client);
      const from = r.msg.fromSeq === undefined ? undefined : Number(r.msg.fromSeq);
      if (from !== undefined && from <= this.published && from < this.oldest) {
        return this.error(ws, "RESUME_TOO_OLD", `the stream holds seq ${this.oldest}..${this.published}; ${from} is older`);
      }
      client = { ws, channels: r.msg.channels, sentTo: from === undefined ? this.published : from - 1 };
      ws.send(JSON.stringify({ subscribed: toJson({ channels: client.channels, fromSeq: client.sentTo + 1, head: this.published }) }));
      // Book channels start from a full snapshot; the others replay what the client missed.
      for (const ch of client.channels) if (ch.type === "book") this.sendBook(client, ch);
      if (client.sentTo < this.published) {
        const missed = this.ring.slice(Math.max(0, client.sentTo + 1 - this.oldest)).map((x) => JSON.parse(x.json) as Published);
        this.send(client, missed, true);
      }
      this.clients.add(client);
    });
    ws.on("close", () => {
      if (client) this.clients.delete(client);
    });
  }

  private error(ws: WebSocket, code: string, message: string, field?: string): void {
    ws.send(JSON.stringify({ error: field === undefined ? { code, message } : { code, message, field } }));
  }

  private send(c: Client, records: Published[], replay: boolean): void {
    const books = new Set<number>();
    const out: string[] = [];
    for (const r of records) {
      if (r.seq <= c.sentTo) continue;
      c.sentTo = r.seq;
      for (const ch of c.channels) {
        if (ch.type === "receipts") out.push(JSON.stringify({ channel: ch, seq: r.seq, data: r }));
        else if (ch.type === "fills") {
          for (const e of r.events) if (e.kind === "Fill" && (ch.market === undefined || ch.market === e.market)) out.push(JSON.stringify({ channel: ch, seq: r.seq, data: e }));
        } else if (ch.type === "account") {
          if (touches(r, ch.account)) out.push(JSON.stringify({ channel: ch, seq: r.seq, data: r }));
        } else if (!replay) bookMarkets(r, books);
      }
    }
    for (const m of out) c.ws.send(m);
    if (books.size > 0) for (const ch of c.channels) if (ch.type === "book" && (books.has(ch.market) || books.has(-1))) this.sendBook(c, ch);
  }

  private sendBook(c: Client, ch: Extract<Channel, { type: "book" }>): void {
    if (ch.market >= this.core.state.markets.length) return this.error(c.ws, "MARKET_UNKNOWN", ERRORS.MARKET_UNKNOWN.message, "channels.market");
    const d = this.core.engine.depth(ch.market, ch.levels ?? 20);
    c.ws.send(JSON.stringify({ channel: ch, seq: c.sentTo, data: toJson({ market: ch.market, ...d }) }));
  }

  close(): void {
    for (const c of this.clients) c.ws.close();
    this.clients.clear();
  }
}
