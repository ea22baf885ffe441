/**
 * `crossmargin batch show <n>`: one sealed batch from the sequencer's API — its roots, its
 * operations and where it stands on L1 (posted, stored root, challenge window). `--ops` lists
 * every operation (one API read each, with a progress bar).
 */
import type { Batch, LoggedOp } from "../../sdk/index.js";
import { api, type CliIO, CliError, parseCommand, ProgressBar, readClient, sequencerUrl, table, toJsonText } from "./common.js";

export const USAGE = `usage: crossmargin batch show <n> [--url <sequencer>] [--ops] [--json]

  <n>          op-log batch index (GET /v1/batches lists them); its L1 batch is n + 1
  --url <url>  the sequencer's API (or env CROSSMARGIN_URL; default http://127.0.0.1:9545)
  --ops        list every operation of the batch (type, signer, accepted or the reason)
  --json       one JSON object on stdout`;

/** Most operations `--ops` reads (one request each). */
export const MAX_LISTED_OPS = 10_000;

/** GET /v1/l1/batches's row (sequencer/l1/batchView.ts), as JSON. */
interface L1Row {
  batch: number;
  l1Batch: number;
  post: { status: string; txHash: string; blockNumber: string | null; attempts: number; error: string | null } | null;
  onL1: { stateRoot: string; timestamp: string; submitter: string; headerHash: string; rootMatches: boolean } | null;
  finalAt: string | null;
  finalized: boolean;
  secondsLeft: string | null;
}

async function l1Standing(url: string, index: number): Promise<{ challengeWindow: string; head: { number: string; timestamp: string }; row: L1Row | null } | null> {
  let r: Response;
  try {
    r = await fetch(`${url}/v1/l1/batches?from=${index}&limit=1`, { signal: AbortSignal.timeout(15_000) });
  } catch (e) {
    throw new CliError("SEQUENCER_UNREACHABLE", `cannot reach the sequencer at ${url} (${(e as Error).message}); pass its API with --url`);
  }
  const body = (await r.json().catch(() => null)) as Record<string, unknown> | null;
  // No L1 mode: the sequencer says so with 404 NOT_FOUND; the batch exists all the same.
  if (r.status === 404) return null;
  if (!r.ok || body === null || !Array.isArray(body.batches)) {
    const code = typeof body?.code === "string" ? body.code : "BAD_RESPONSE";
    throw new CliError(code, `GET /v1/l1/batches answered ${r.status}${typeof body?.message === "string" ? `: ${body.message}` : ""}; is L1 reachable from the sequencer?`);
  }
  const row = (body.batches as L1Row[]).find((b) => b.batch === index) ?? null;
  return { challengeWindow: String(body.challengeWindow), head: body.head as { number: string; timestamp: string }, row };
}

function opSummary(o: LoggedOp): string[] {
  const op = o.op as unknown as Record<string, unknown>;
  const kind = typeof op.type === "string" ? op.type : typeof op.kind === "string" ? op.kind : "op";
  return [String(o.seq), kind, o.signer ?? "-", o.ok ? "ok" : `refused: ${typeof o.reason === "string" ? o.reason : JSON.stringify(o.reason)}`];
}

export async function batchMain(argv: string[], io: CliIO): Promise<void> {
  const [action, ...rest] = argv;
  if (action === undefined || action === "--help") {
    io.out(`${USAGE}\n`);
    if (action === undefined) throw new CliError("MISSING_ACTION", "give an action: show <n>", "<action>", 2);
    return;
  }
  if (action !== "show") throw new CliError("UNKNOWN_ACTION", `unknown action "${action}": use batch show <n>`, "<action>", 2);
  const { values, positionals } = parseCommand(rest, { url: { type: "string" }, ops: { type: "boolean" } });
  if (values.help) return void io.out(`${USAGE}\n`);
  if (positionals.length !== 1) throw new CliError("MISSING_ARGUMENT", `batch show takes one batch index, got ${positionals.length}`, "<n>", 2);
  const raw = positionals[0]!;
  if (!/^[0-9]+$/.test(raw) || !Number.isSafeInteger(Number(raw))) throw new CliError("INVALID_ARGUMENT", `"${raw}" is not a batch index (0, 1, …: the op-log index; GET /v1/batches lists them)`, "<n>", 2);
  const index = Number(raw);
  const url = sequencerUrl(values.url);
  const client = readClient(url);
  const b: Batch = await api(url, () => client.batch(index));
  const l1 = await l1Standing(url, index);
  const opCount = Number(b.toSeq - b.fromSeq) + 1;
  let ops: LoggedOp[] | undefined;
  if (values.ops === true) {
    if (opCount > MAX_LISTED_OPS) throw new CliError("TOO_MANY_OPS", `batch ${index} holds ${opCount} operations; --ops lists at most ${MAX_LISTED_OPS} (read them with GET /v1/ops/:seq)`, "--ops", 2);
    ops = new Array<LoggedOp>(opCount);
    const bar = new ProgressBar(io, `reading batch ${index}'s operations`, opCount);
    let next = 0;
    let done = 0;
    // Eight reads in flight: fast on loopback without queueing thousands of requests.
    await Promise.all(
      Array.from({ length: Math.min(8, opCount) }, async () => {
        while (next < opCount) {
          const i = next++;
          ops![i] = await api(url, () => client.op(b.fromSeq + BigInt(i)));
          bar.update(++done);
        }
      }),
    );
  }
  const out = {
    index: b.index,
    l1Batch: b.index + 1,
    ops: { count: opCount, fromSeq: b.fromSeq, toSeq: b.toSeq },
    preRoot: b.preRoot,
    postRoot: b.postRoot,
    l1Inputs: { from: b.l1From, to: b.l1To },
    timestamp: b.timestamp,
    l1: l1 && {
      challengeWindow: l1.challengeWindow,
      head: l1.head,
      post: l1.row?.post ?? null,
      onL1: l1.row?.onL1 ?? null,
      finalAt: l1.row?.finalAt ?? null,
      finalized: l1.row?.finalized ?? false,
      secondsLeft: l1.row?.secondsLeft ?? null,
    },
    ...(ops ? { operations: ops } : {}),
  };
  if (values.json === true) return void io.out(`${toJsonText(out)}\n`);
  const when = new Date(Number(b.timestamp)).toISOString();
  const lines = [
    `batch ${b.index} (L1 batch ${b.index + 1})`,
    `  ops          ${opCount} (seq ${b.fromSeq}..${b.toSeq})`,
    `  pre-root     ${b.preRoot}`,
    `  post-root    ${b.postRoot}`,
    `  L1 inputs    ${b.l1From}..${b.l1To} (${b.l1To - b.l1From} consumed)`,
    `  timestamp    ${b.timestamp} (${when})`,
  ];
  if (l1 === null) lines.push("  L1           the sequencer runs without L1 (nothing is posted)");
  else {
    const p = out.l1!.post;
    const on = out.l1!.onL1;
    lines.push(`  posted       ${p ? `${p.status}, tx ${p.txHash}${p.blockNumber ? ` in block ${p.blockNumber}` : ""}${p.attempts > 1 ? `, ${p.attempts} attempts` : ""}${p.error ? `, last error: ${p.error}` : ""}` : "not yet"}`);
    lines.push(`  on L1        ${on ? `root ${on.stateRoot} ${on.rootMatches ? "(matches)" : "(DIFFERS from the sealed root)"}, L1 time ${new Date(Number(on.timestamp) * 1000).toISOString()}` : "not stored yet"}`);
    lines.push(`  finality     ${on === null ? "-" : out.l1!.finalized ? `final (since ${out.l1!.finalAt})` : `final at ${out.l1!.finalAt}, ${out.l1!.secondsLeft} s left of the ${l1.challengeWindow} s challenge window`}`);
  }
  if (ops) lines.push("", table([["seq", "type", "signer", "result"], ...ops.map(opSummary)]));
  io.out(`${lines.join("\n")}\n`);
}
