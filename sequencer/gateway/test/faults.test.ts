/**
 * Failures around the gateway: the sequencer restarting behind it (503 UPSTREAM_UNAVAILABLE
 * with Retry-After while it is down, then everything works again, the stream resuming), and
 * a gateway SIGKILLed under signed traffic: every acknowledged operation is in the log, and
 * clients that resend the unanswered ones through the other gateway end with each operation
 * sequenced exactly once.
 */
import { afterAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { CrossmarginApiError, CrossmarginNetworkError, type StreamMessage, cancelAllOp, createCrossmarginClient, transferOp } from "../../../sdk/index.js";
import { accountOf } from "../../../sdk/test/fixtures.js";
import { get, post, startTest, tmpDb } from "../../api/test/helpers.js";
import type { RunningSequencer } from "../../service.js";
import type { SignedOp } from "../../state/ops.js";
import { GatewayChild, until } from "./child.js";

const USD = 1_000_000n;
const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const f of cleanup.reverse()) await f().catch(() => {});
});

describe("a sequencer restart behind the gateway", () => {
  it("answers 503 UPSTREAM_UNAVAILABLE with Retry-After while it is down, then recovers (requests and stream)", async () => {
    const db = tmpDb();
    let seq: RunningSequencer = await startTest({ db, streamBuffer: 1000 });
    const port = seq.port;
    cleanup.push(() => seq.close());
    const gw = await GatewayChild.start(["--upstream", seq.url, "--port", "0", "--upstream-timeout-ms", "15000", "--retry-after-s", "2"]);
    cleanup.push(() => gw.stop("SIGKILL"));
    const desk = createCrossmarginClient({ url: gw.url, account: accountOf("gw-faults/desk") });
    const A = (await desk.devDeposit({ asset: 0, amount: 1_000n * USD })).account;
    const received: StreamMessage[] = [];
    const sub = desk.subscribe([{ type: "account", account: A }], (m) => received.push(m), { onError: () => {}, reconnect: { initialDelayMs: 50, maxDelayMs: 300 } });
    cleanup.push(async () => sub.close());
    await until(() => sub.lastSeq !== null, 10_000, "the subscription");
    const before = await desk.cancelAll();
    await until(() => received.some((m) => m.seq === before.seq), 5_000, "the first op on the stream");

    await seq.close();
    const q = await fetch(`${gw.url}/v1/markets`);
    expect(q.status).toBe(503);
    expect(q.headers.get("retry-after")).toBe("2");
    expect(await q.json()).toMatchObject({ code: "UPSTREAM_UNAVAILABLE", message: expect.stringMatching(/unreachable \(ECONNREFUSED\); the request did not reach it/) });
    // An operation: refused at the gateway's door, so the client knows it was not sequenced.
    const signed = await desk.signOp(cancelAllOp());
    const refused = await desk.submitOp(signed).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CrossmarginApiError);
    expect(refused).toMatchObject({ code: "UPSTREAM_UNAVAILABLE", status: 503 });
    // The stream cannot be opened either: the upgrade is answered 503 with the same body.
    const upgrade = await new Promise<{ status: number; retryAfter: string | undefined; body: string }>((resolve, reject) => {
      const ws = new WebSocket(`${gw.url.replace(/^http/, "ws")}/v1/stream`);
      ws.once("open", () => reject(new Error("the stream opened with the sequencer down")));
      ws.once("error", () => {});
      ws.once("unexpected-response", (_req, res) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers["retry-after"] as string | undefined, body }));
      });
    });
    expect(upgrade.status).toBe(503);
    expect(upgrade.retryAfter).toBe("2");
    expect(JSON.parse(upgrade.body)).toMatchObject({ code: "UPSTREAM_UNAVAILABLE" });

    seq = await startTest({ db, port, streamBuffer: 1000 });
    // The same signed op, resent after Retry-After: sequenced now (it never arrived before).
    const accepted = await desk.submitOp(signed);
    expect(accepted.ok).toBe(true);
    expect((await get(gw.url, "/v1/markets")).status).toBe(200);
    // The SDK's subscription came back through the gateway and resumed where it stopped.
    await until(() => received.some((m) => m.seq === accepted.seq), 10_000, "the resumed stream");
    const seqs = received.map((m) => m.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs.at(-1)).toBe(accepted.seq);
    const status = (await get(gw.url, "/gateway/status")).json as { upstreamFailures: number; refused: Record<string, number> };
    expect(status.upstreamFailures).toBeGreaterThanOrEqual(3);
    expect(status.refused.UPSTREAM_UNAVAILABLE).toBeGreaterThanOrEqual(3);
  }, 60_000);
});

describe("a gateway SIGKILLed under traffic", () => {
  it("loses nothing acknowledged; resent through the other gateway, every op is sequenced exactly once", async () => {
    const seq = await startTest({ streamBuffer: 10_000 });
    cleanup.push(() => seq.close());
    const [g1, g2] = await Promise.all([GatewayChild.start(["--upstream", seq.url, "--port", "0"]), GatewayChild.start(["--upstream", seq.url, "--port", "0"])]);
    cleanup.push(() => g1.stop("SIGKILL"), () => g2.stop("SIGKILL"));

    const DESKS = 4;
    const OPS_PER_DESK = 40;
    const KILL_AFTER_ACKS = 50;
    const desks = await Promise.all(
      Array.from({ length: DESKS }, async (_, i) => {
        const key = accountOf(`gw-faults/kill-${i}`);
        const account = (await post(seq.url, "/v1/dev/deposit", { owner: key.address, asset: 0, amount: String(1_000n * USD) })).json.account as number;
        return { account, via1: createCrossmarginClient({ url: g1.url, account: key, accountIndex: account, timeoutMs: 10_000 }), via2: createCrossmarginClient({ url: g2.url, account: key, accountIndex: account, timeoutMs: 10_000 }) };
      }),
    );
    const acked: { op: SignedOp; seq: bigint }[] = [];
    const resentDuplicate: SignedOp[] = [];
    let failedOver = 0;
    let killed = false;

    const run = async (d: (typeof desks)[number], i: number) => {
      let useSecond = false;
      for (let n = 0; n < OPS_PER_DESK; n++) {
        // Signed once; the same bytes go to the second gateway if the first one does not answer.
        const op = (await d.via1.signOp(transferOp({ to: desks[(i + 1) % DESKS]!.account, asset: 0, amount: 1n }))) as SignedOp;
        if (!useSecond) {
          try {
            acked.push({ op, seq: (await d.via1.submitOp(op)).seq });
            continue;
          } catch (e) {
            if (!(e instanceof CrossmarginNetworkError) && !(e instanceof CrossmarginApiError && e.code === "UPSTREAM_UNAVAILABLE")) throw e;
            useSecond = true;
            failedOver++;
          }
        }
        try {
          acked.push({ op, seq: (await d.via2.submitOp(op)).seq });
        } catch (e) {
          // NONCE_USED on a resend: the first gateway delivered it before it died.
          if (!(e instanceof CrossmarginApiError && e.code === "NONCE_USED")) throw e;
          resentDuplicate.push(op);
        }
      }
    };
    const killer = (async () => {
      await until(() => acked.length >= KILL_AFTER_ACKS, 30_000, `${KILL_AFTER_ACKS} acknowledgements`);
      await g1.stop("SIGKILL");
      killed = true;
    })();
    await Promise.all([...desks.map(run), killer]);
    expect(killed).toBe(true);
    expect(failedOver).toBe(DESKS); // every desk lost its gateway mid-run and moved on

    // Read the whole log direct: (account, nonce) → seqs.
    const last = (await get(seq.url, "/v1/info")).json.seq as number;
    const logged = new Map<string, number[]>();
    for (let s = 1; s <= last; s++) {
      const r = (await get(seq.url, `/v1/ops/${s}`)).json as { op: { type: string; account: number; nonce?: string } };
      if (r.op.type !== "Transfer") continue;
      const k = `${r.op.account}:${r.op.nonce}`;
      logged.set(k, [...(logged.get(k) ?? []), s]);
    }
    const key = (op: SignedOp) => `${op.account}:${op.nonce}`;
    // Every acknowledged op is in the log at the seq its receipt named.
    for (const a of acked) expect(logged.get(key(a.op)), key(a.op)).toEqual([Number(a.seq)]);
    // Every op a resend found already used is in the log too.
    for (const op of resentDuplicate) expect(logged.get(key(op))?.length, key(op)).toBe(1);
    // Every op the desks signed is in the log once, and nothing else is.
    expect(acked.length + resentDuplicate.length).toBe(DESKS * OPS_PER_DESK);
    expect(logged.size).toBe(DESKS * OPS_PER_DESK);
    console.log(`gateway SIGKILL: ${acked.length} acknowledged, ${resentDuplicate.length} delivered by the dead gateway without an answer (NONCE_USED on resend), ${failedOver} desks failed over`);
  }, 120_000);
});
