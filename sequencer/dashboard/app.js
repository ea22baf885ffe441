// The dashboard's one module (docs/sequencer.md §Dashboard). It reads the sequencer's public
// API on this origin and its WebSocket stream; no build step, no framework. Every figure is
// rendered from an API answer with the same integer formatting (bigint, no floats), so what
// the page shows can be checked against the API digit for digit.
//
// Live: the stream's receipts move the head (seq) and feed the waterfall table; the L1 views
// (batches, verifier, reserves) are polled, since they change with L1 blocks, not ops.

const POLL_MS = 1000;
const RESERVES_EVERY = 5; // polls: reserves re-read the Vault on L1 (several RPC calls)
const DISPUTES_EVERY = 2; // polls: the dispute game's events (one eth_getLogs per kind)
const BATCH_ROWS = 20;
const DETAIL_OPS = 25;
const WATERFALL_ROWS = 50;
/** Position sizes are fixed-point with 8 decimals (SIZE_SCALE in sequencer/state/constants.ts). */
const SIZE_DECIMALS = 8;
/** MARKET_UNLISTED.. MARKET_HALTED of sequencer/state/constants.ts, by value. */
const MARKET_STATUS = ["unlisted", "active", "reduce-only", "halted"];

const state = {
  info: null,
  verifier: null,
  verifierError: null,
  /** GET /v1/l1/disputes: the DisputeGame's games (with moves) and fault proofs; null without L1. */
  l1Disputes: null,
  batches: [],
  challengeWindow: null,
  headTimestamp: null,
  selectedBatch: null,
  selectedDispute: null,
  fundingRate: new Map(),
  waterfall: [],
  lastStreamSeq: 0,
  polls: 0,
  /** No-L1 mode: the op-log index of the oldest batch row shown. */
  plainFrom: 0,
};

// ───────────────────────────────────────────────────────────── formatting (integers only)

/** `atoms` (a decimal string or bigint) as a decimal with `decimals` places, grouped by 3. */
export function units(atoms, decimals) {
  let v = BigInt(atoms);
  const neg = v < 0n;
  if (neg) v = -v;
  const scale = 10n ** BigInt(decimals);
  const whole = (v / scale).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const frac = decimals > 0 ? "." + (v % scale).toString().padStart(decimals, "0") : "";
  return (neg ? "-" : "") + whole + frac;
}

/** Seconds as "1d 2h 3m 4s" (leading zero units dropped). */
export function duration(seconds) {
  let s = BigInt(seconds);
  const parts = [];
  for (const [n, u] of [[86400n, "d"], [3600n, "h"], [60n, "m"]]) {
    if (s >= n || parts.length > 0) parts.push(`${s / n}${u}`);
    s %= n;
  }
  parts.push(`${s}s`);
  return parts.join(" ");
}

const short = (h) => (typeof h === "string" && h.length > 14 ? `${h.slice(0, 10)}…${h.slice(-4)}` : String(h));
const settlementDecimals = () => state.info?.assets?.[0]?.decimals ?? 6;

// ───────────────────────────────────────────────────────────── DOM helpers (text only)

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null) continue;
    if (k === "class") e.className = v;
    else if (k === "onclick") e.addEventListener("click", v);
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}
const td = (text, attrs = {}) => el("td", attrs, text);
const num = (text, attrs = {}) => el("td", { class: "num", ...attrs }, text);

function fill(tbody, rows, empty) {
  tbody.replaceChildren(...(rows.length > 0 ? rows : [el("tr", { class: "empty" }, el("td", { colspan: "9" }, empty))]));
}

function grid(dl, pairs) {
  dl.replaceChildren(...pairs.flatMap(([k, v, attrs]) => [el("dt", {}, k), el("dd", attrs ?? {}, v)]));
}

// ───────────────────────────────────────────────────────────── API

class ApiFailure extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.code ?? null;
  }
}

async function api(path) {
  const r = await fetch(path, { headers: { accept: "application/json" } });
  const body = await r.json().catch(() => null);
  if (!r.ok) throw new ApiFailure(r.status, body);
  return body;
}

// ───────────────────────────────────────────────────────────── verdicts

/** The verifier's word on an L1 batch: its dispute, "verified", or "not judged yet". */
function verdictOf(l1Batch) {
  const v = state.verifier;
  if (!v) return { text: state.verifierError ? "verifier unavailable" : "no verifier", cls: "wait" };
  const d = v.disputes.find((x) => Number(x.batch) === l1Batch);
  if (d) return { text: `disputed: ${d.reasons.join(", ")}`, cls: "bad", dispute: d };
  if (v.verifiedThrough !== null && l1Batch <= Number(v.verifiedThrough)) return { text: "verified", cls: "ok" };
  return { text: "not judged yet", cls: "wait" };
}

function windowText(b) {
  if (b.onL1 === null) return { text: "not on L1", cls: "wait" };
  if (b.finalized) return { text: "final", cls: "ok" };
  return { text: `${duration(b.secondsLeft)} left`, cls: "wait" };
}

// ───────────────────────────────────────────────────────────── renderers

function renderHead() {
  const i = state.info;
  document.getElementById("head-seq").textContent = i.seq;
  document.getElementById("head-root").textContent = short(i.root);
  document.getElementById("head-root").title = i.root;
  const l1 = i.l1;
  document.getElementById("head-l1").textContent = l1
    ? `${l1.mode}, ${l1.sealedBatches} sealed, confirmed through L1 batch ${l1.confirmedThrough + 1}${l1.poster.error ? ` — poster: ${l1.poster.error}` : ""}`
    : "off (no --l1-rpc)";
  document.getElementById("updated").textContent = new Date().toISOString().slice(11, 19);
}

function renderBatches() {
  const tbody = document.querySelector("#batches tbody");
  const note = document.getElementById("batches-note");
  note.dataset.head = state.headTimestamp ?? "";
  note.textContent = state.challengeWindow === null ? "(no L1: sealed batches only)" : `(challenge window ${duration(state.challengeWindow)}; L1 head at ${new Date(Number(state.headTimestamp) * 1000).toISOString().replace(".000Z", "Z")})`;
  const rows = [...state.batches].reverse().map((b) => {
    const l1Batch = b.l1Batch ?? b.index + 1;
    const w = b.onL1 === undefined ? { text: "—", cls: "" } : windowText(b);
    const v = verdictOf(l1Batch);
    const post = b.post === undefined ? "—" : b.post === null ? "not sent" : `${b.post.status}${b.post.attempts > 1 ? ` (${b.post.attempts} attempts)` : ""}`;
    const onL1 = b.onL1 === undefined ? "—" : b.onL1 === null ? "—" : b.onL1.rootMatches ? "root matches" : "ROOT DIFFERS";
    return el(
      "tr",
      { class: `clickable${state.selectedBatch === l1Batch ? " selected" : ""}`, "data-batch": String(l1Batch), onclick: () => selectBatch(l1Batch) },
      td(l1Batch),
      td(`${Number(b.toSeq) - Number(b.fromSeq) + 1} (${b.fromSeq}–${b.toSeq})`),
      td(short(b.postRoot), { class: "hash", title: b.postRoot }),
      td(post, { class: b.post?.status === "confirmed" ? "ok" : b.post?.error ? "bad" : "wait" }),
      td(onL1, { class: b.onL1 && !b.onL1.rootMatches ? "bad" : "" }),
      td(w.text, { class: `window ${w.cls}` }),
      td(v.text, { class: `verdict ${v.cls}` }),
    );
  });
  fill(tbody, rows, "no batch sealed yet");
}

async function selectBatch(l1Batch) {
  state.selectedBatch = l1Batch;
  renderBatches();
  const box = document.getElementById("batch-detail");
  box.hidden = false;
  box.replaceChildren(el("p", {}, `loading L1 batch ${l1Batch}…`));
  try {
    const index = l1Batch - 1;
    const sealed = await api(`/v1/batches/${index}`);
    const l1 = state.info?.l1 ? (await api(`/v1/l1/batches?from=${index}&limit=1`)).batches[0] : null;
    const count = Number(sealed.toSeq) - Number(sealed.fromSeq) + 1;
    const seqs = Array.from({ length: Math.min(count, DETAIL_OPS) }, (_, k) => Number(sealed.fromSeq) + k);
    const ops = await Promise.all(seqs.map((s) => api(`/v1/ops/${s}`)));
    if (state.selectedBatch !== l1Batch) return; // another batch was clicked meanwhile
    const v = verdictOf(l1Batch);
    const dl = el("dl", { class: "grid", id: "batch-detail-fields" });
    grid(dl, [
      ["L1 batch", l1Batch, { "data-field": "l1Batch" }],
      ["op-log batch", sealed.index, { "data-field": "index" }],
      ["ops", `${count} (seq ${sealed.fromSeq}–${sealed.toSeq})`, { "data-field": "ops" }],
      ["pre-state root", sealed.preRoot, { class: "hash", "data-field": "preRoot" }],
      ["post-state root", sealed.postRoot, { class: "hash", "data-field": "postRoot" }],
      ["sealed at (ms)", sealed.timestamp, { "data-field": "timestamp" }],
      ["L1 tx", l1?.post ? `${l1.post.txHash} (${l1.post.status}${l1.post.blockNumber !== null ? `, block ${l1.post.blockNumber}` : ""})` : "not sent", { class: "hash", "data-field": "txHash" }],
      ["root on L1", l1?.onL1 ? `${l1.onL1.stateRoot}${l1.onL1.rootMatches ? "" : " (differs from the sealed root)"}` : "not on L1", { class: "hash", "data-field": "l1Root" }],
      ["challenge window", l1 ? windowText(l1).text : "no L1", { "data-field": "window" }],
      ["verifier", v.text, { class: v.cls, "data-field": "verdict" }],
    ]);
    const table = el(
      "table",
      { id: "batch-ops" },
      el("thead", {}, el("tr", {}, el("th", {}, "seq"), el("th", {}, "op"), el("th", {}, "ok"), el("th", {}, "reason"))),
      el("tbody", {}, ...ops.map((o) => el("tr", { "data-seq": String(o.seq) }, td(o.seq), td(o.op?.type ?? "?"), td(o.ok ? "yes" : "no", { class: o.ok ? "ok" : "bad" }), td(o.reason ?? "")))),
    );
    box.replaceChildren(
      el("h3", {}, `L1 batch ${l1Batch}`),
      dl,
      el("h3", {}, count > DETAIL_OPS ? `operations (first ${DETAIL_OPS} of ${count})` : "operations"),
      table,
    );
  } catch (e) {
    box.replaceChildren(el("p", { class: "error" }, `L1 batch ${l1Batch}: ${e.message}`));
  }
}

function renderVerifier() {
  const dl = document.getElementById("verifier");
  const v = state.verifier;
  if (!v) {
    grid(dl, [["status", state.verifierError ?? "loading…", { class: "wait", "data-field": "state" }]]);
    renderDisputes();
    return;
  }
  grid(dl, [
    ["state", v.state, { "data-field": "state" }],
    ["verified through", v.verifiedThrough === null ? "none" : `L1 batch ${v.verifiedThrough}`, { "data-field": "verifiedThrough" }],
    ["last batch on L1", v.lastBatch, { "data-field": "lastBatch" }],
    ["verified / disputed", `${v.verified} / ${v.disputed}`, { "data-field": "counts" }],
    ["last verified", v.lastVerified ? `L1 batch ${v.lastVerified.batch}, root ${short(v.lastVerified.root)}${v.lastVerified.agrees === false ? " — DIFFERS from this sequencer" : v.lastVerified.agrees ? " (agrees with this sequencer)" : ""}` : "none", { "data-field": "lastVerified" }],
    ["lag", `${v.lag.l1Batches} L1 batches, ${v.lag.l1Blocks} L1 blocks, ${v.lag.sealedBatches} sealed batches`, { "data-field": "lag" }],
    ["last error", v.lastError ?? "none", { class: v.lastError ? "bad" : "", "data-field": "lastError" }],
  ]);
  renderDisputes();
}

/** L1 batches disputed by the verifier or on L1 (a game or a fault proof), oldest first. */
function disputedBatches() {
  const set = new Set((state.verifier?.disputes ?? []).map((d) => Number(d.batch)));
  for (const g of state.l1Disputes?.games ?? []) set.add(Number(g.batch));
  for (const f of state.l1Disputes?.faultProofs ?? []) set.add(Number(f.batch));
  return [...set].sort((a, b) => a - b);
}

/** One line on what L1 holds about a disputed batch: its games' standing and fault proofs. */
function onL1Summary(batch) {
  const parts = [];
  for (const g of (state.l1Disputes?.games ?? []).filter((x) => Number(x.batch) === batch)) {
    const live = g.status === "bisecting" || g.status === "stepping";
    parts.push(`game ${g.id}: ${g.status}${live ? `, ${g.turn} to move` : ""} (${g.moves.length} moves)`);
  }
  for (const f of (state.l1Disputes?.faultProofs ?? []).filter((x) => Number(x.batch) === batch)) parts.push(`fault proven: ${f.fault}`);
  return parts.length > 0 ? parts.join("; ") : state.l1Disputes ? "no game" : "—";
}

function renderDisputes() {
  const rows = disputedBatches().map((batch) => {
    const d = state.verifier?.disputes.find((x) => Number(x.batch) === batch);
    return el(
      "tr",
      { class: `clickable${state.selectedDispute === batch ? " selected" : ""}`, "data-dispute": String(batch), onclick: () => selectDispute(batch) },
      td(batch),
      td(d ? d.reasons.join(", ") : "not disputed by the verifier", { class: d ? "bad" : "" }),
      td(onL1Summary(batch), { class: "onl1" }),
    );
  });
  fill(document.querySelector("#disputes tbody"), rows, "no disputes");
  if (state.selectedDispute !== null) renderDispute();
}

function selectDispute(batch) {
  state.selectedDispute = batch;
  renderDisputes();
}

function renderDispute() {
  const box = document.getElementById("dispute-detail");
  const batch = state.selectedDispute;
  const d = state.verifier?.disputes.find((x) => Number(x.batch) === batch);
  box.hidden = false;
  const parts = [el("h3", {}, `Dispute of L1 batch ${batch}`)];
  if (d) {
    const dl = el("dl", { class: "grid", id: "dispute-detail-fields" });
    grid(dl, [
      ["L1 batch", d.batch, { "data-field": "batch" }],
      ["reasons", d.reasons.join(", "), { class: "bad", "data-field": "reasons" }],
      ["detail", d.detail, { "data-field": "detail" }],
      ["root posted", d.headerRoot, { class: "hash", "data-field": "headerRoot" }],
      ["root replayed", d.derivedRoot ?? "none (the data did not decode)", { class: "hash", "data-field": "derivedRoot" }],
      ["L1 tx", d.txHash, { class: "hash", "data-field": "txHash" }],
      ["L1 block", d.l1Block, { "data-field": "l1Block" }],
    ]);
    parts.push(el("h3", {}, "the verifier's judgement"), dl);
  } else {
    parts.push(el("p", {}, "The verifier does not dispute this batch now (rolled back, re-judged, or older than its last 20 disputes)."));
  }
  const games = (state.l1Disputes?.games ?? []).filter((g) => Number(g.batch) === batch);
  for (const g of games) {
    const live = g.status === "bisecting" || g.status === "stepping";
    const dl = el("dl", { class: "grid", "data-game": String(g.id) });
    grid(dl, [
      ["status", live ? `${g.status}, ${g.turn} to move, ${duration(g.clockLeft)} on its clock` : g.status, { "data-field": "status" }],
      ["disputed operations", `${g.lo}..${g.hi}`, { "data-field": "interval" }],
      ["challenger", g.challenger, { class: "hash" }],
      ["defender", g.defender, { class: "hash" }],
    ]);
    const moves = el(
      "table",
      { class: "moves", "data-game": String(g.id) },
      el("thead", {}, el("tr", {}, el("th", {}, "#"), el("th", {}, "move"), el("th", {}, "L1 block"), el("th", {}, "tx"))),
      el("tbody", {}, ...g.moves.map((m, k) => el("tr", { "data-kind": m.kind }, td(k + 1), td(moveText(m), { class: "hash" }), td(m.block), td(short(m.txHash), { class: "hash", title: m.txHash })))),
    );
    parts.push(el("h3", {}, `dispute game ${g.id} on L1`), dl, moves);
  }
  const proofs = (state.l1Disputes?.faultProofs ?? []).filter((x) => Number(x.batch) === batch);
  for (const f of proofs) {
    parts.push(
      el("h3", {}, "fault proven on L1"),
      el("p", { class: "bad", "data-fault": f.fault }, `${f.fault} (detail ${f.detail}${f.decode ? `, decode error ${f.decode.code} at byte ${f.decode.offset}` : ""}) by ${short(f.prover)} in block ${f.block}: the batch and later ones rolled back, ${units(f.slashed, 18)} ETH slashed`),
    );
  }
  if (games.length === 0 && proofs.length === 0) {
    parts.push(el("p", { class: "note" }, state.l1Disputes ? "No dispute game or fault proof on L1 for this batch yet." : "L1 disputes need the sequencer in L1 mode."));
  }
  box.replaceChildren(...parts);
}

/** A dispute-game move in words (docs/fault-proofs.md: the defender bisects, the challenger chooses). */
export function moveText(m) {
  switch (m.kind) {
    case "opened":
      return `opened by ${short(m.challenger)} against ${short(m.defender)}, ${m.opCount} operations`;
    case "bisected":
      return `defender: root after ${m.opIndex} operations is ${m.root}`;
    case "chosen":
      return `challenger ${m.agree ? "agrees" : "disagrees"}: operations ${m.lo}..${m.hi} in dispute`;
    case "opLoaded":
      return `operation ${m.opIndex} loaded (hash ${short(m.opHash)})`;
    case "resolved":
      return `${m.winner} won: ${m.outcome}${m.fault !== "none" ? ` (${m.fault})` : ""}, payout ${units(m.payout, 18)} ETH`;
    case "voided":
      return "voided: the batch left the chain while the game ran";
    default:
      return m.kind;
  }
}

async function refreshReserves() {
  const tbody = document.querySelector("#reserves tbody");
  const note = document.getElementById("reserves-note");
  let r;
  try {
    r = await api("/v1/reserves");
  } catch (e) {
    note.textContent = e.code === "BATCH_UNKNOWN" ? "(no batch final yet)" : e.code === "RESERVES_UNAVAILABLE" ? "(L1 mode only)" : `(${e.message})`;
    note.dataset.batch = "";
    fill(tbody, [], "—");
    return;
  }
  note.textContent = `(L1 batch ${r.batch}${r.finalized ? ", final" : ""}, L1 block ${r.l1Block}: ${r.covered ? "covered" : "NOT COVERED"})`;
  note.dataset.batch = String(r.batch);
  note.className = r.covered ? "ok" : "bad";
  const dec = (asset) => state.info?.assets?.[asset]?.decimals ?? 0;
  fill(
    tbody,
    r.assets.map((a) =>
      el(
        "tr",
        { "data-asset": String(a.asset) },
        td(a.asset),
        num(units(a.liabilities.total, dec(a.asset)), { "data-field": "liabilities" }),
        num(units(a.claimedWithdrawals, dec(a.asset)), { "data-field": "claimed" }),
        num(units(a.owed, dec(a.asset)), { "data-field": "owed" }),
        num(units(a.pendingDeposits, dec(a.asset)), { "data-field": "pending" }),
        num(units(a.vaultBalance, dec(a.asset)), { "data-field": "vault" }),
        num(units(a.surplus, dec(a.asset)), { "data-field": "surplus", class: `num ${BigInt(a.surplus) < 0n ? "bad" : "ok"}` }),
      ),
    ),
    "no assets",
  );
}

function renderMarkets(markets) {
  const i = state.info;
  const dec = settlementDecimals();
  const rows = markets.map((m) => {
    const priced = BigInt(m.oracleTimestamp) > 0n;
    const age = BigInt(i.clock) - BigInt(m.oracleTimestamp);
    const stale = !priced || age > BigInt(i.maxOracleAgeMs);
    const rate = state.fundingRate.get(Number(m.id));
    return el(
      "tr",
      { "data-market": String(m.id) },
      td(m.id),
      td(MARKET_STATUS[m.status] ?? String(m.status)),
      num(priced ? units(m.oraclePrice, dec) : "unset", { "data-field": "price" }),
      num(priced ? `${units(age, 3)} s${stale ? " (stale)" : ""}` : "never priced", { "data-field": "age", class: `num ${stale ? "bad" : "ok"}` }),
      num(m.fundingIndex, { "data-field": "fundingIndex" }),
      num(rate === undefined ? "—" : `${units(rate, 4)} %`, { "data-field": "fundingRate" }),
      num(units(m.openInterest, SIZE_DECIMALS), { "data-field": "openInterest" }),
    );
  });
  fill(document.querySelector("#markets tbody"), rows, "no markets");
}

function renderInsurance() {
  const assets = state.info?.assets ?? [];
  fill(
    document.querySelector("#insurance tbody"),
    assets.map((a) => el("tr", { "data-asset": String(a.id) }, td(a.id), num(units(a.insuranceFund, a.decimals), { "data-field": "insuranceFund" }))),
    "no assets",
  );
  const dec = settlementDecimals();
  const rows = state.waterfall.map(({ seq, e }) => {
    let details;
    if (e.kind === "Liquidation") details = `market ${e.market}, size ${units(e.size, SIZE_DECIMALS)} at ${units(e.price, dec)} by account ${e.liquidator}, penalty ${units(e.penalty, dec)}`;
    else if (e.kind === "Waterfall") details = `${e.step}: ${units(e.amount, dec)}${e.asset !== undefined ? ` (seized ${e.seized} atoms of asset ${e.asset})` : ""}`;
    else details = `market ${e.market}, size ${units(e.size, SIZE_DECIMALS)} against account ${e.counterparty} at ${units(e.bankruptcyPrice, dec)}`;
    return el("tr", { "data-seq": String(seq), "data-kind": e.kind }, td(seq), td(e.kind === "Deleveraged" ? "ADL" : e.kind), td(e.account), td(details));
  });
  fill(document.querySelector("#waterfall tbody"), rows, "none in the stream's buffer yet");
}

// ───────────────────────────────────────────────────────────── polling and the stream

function showError(msg) {
  const p = document.getElementById("error");
  p.hidden = msg === null;
  p.textContent = msg ?? "";
}

async function poll() {
  state.polls++;
  try {
    state.info = await api("/v1/info");
    const [markets] = await Promise.all([
      api("/v1/markets"),
      api("/v1/verifier").then(
        (v) => ((state.verifier = v), (state.verifierError = null)),
        (e) => ((state.verifier = null), (state.verifierError = e.code === "VERIFIER_NOT_CONFIGURED" ? "no verifier configured (--verifier-url)" : e.message)),
      ),
      refreshBatches(),
    ]);
    renderHead();
    renderBatches();
    renderVerifier();
    renderMarkets(markets);
    renderInsurance();
    if (state.info.l1 && state.polls % DISPUTES_EVERY === 1) {
      state.l1Disputes = await api("/v1/l1/disputes");
      renderDisputes();
    }
    if (state.polls % RESERVES_EVERY === 1) await refreshReserves();
    showError(null);
  } catch (e) {
    showError(`refresh failed: ${e.message}`);
  }
}

async function refreshBatches() {
  const l1 = state.info.l1;
  const sealed = l1 ? l1.sealedBatches : null;
  if (l1) {
    const from = Math.max(0, sealed - BATCH_ROWS);
    const view = await api(`/v1/l1/batches?from=${from}&limit=${BATCH_ROWS}`);
    state.batches = view.batches;
    state.challengeWindow = view.challengeWindow;
    state.headTimestamp = view.head.timestamp;
  } else {
    // Without L1 the op log's batches are all there is; /v1/info has no count, so walk
    // forward from the oldest row shown (pages of 1000) to the newest.
    let page;
    do {
      page = await api(`/v1/batches?from=${state.plainFrom}&limit=1000`);
      state.batches = [...state.batches.filter((b) => b.index < state.plainFrom), ...page].slice(-BATCH_ROWS);
      state.plainFrom = state.batches.length > 0 ? state.batches[0].index : 0;
    } while (page.length === 1000);
    state.challengeWindow = null;
  }
}

function connectStream() {
  const label = document.getElementById("stream-state");
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/v1/stream`);
  ws.addEventListener("open", () => {
    label.textContent = "live";
    // From seq 1 (or where we left off): the server replays what its ring still holds.
    ws.send(JSON.stringify({ op: "subscribe", channels: [{ type: "receipts" }], fromSeq: String(state.lastStreamSeq + 1) }));
  });
  ws.addEventListener("message", (m) => {
    const msg = JSON.parse(m.data);
    if (msg.error?.code === "RESUME_TOO_OLD") {
      // Older receipts are gone from the ring: go on live (the waterfall table says "from the stream").
      ws.send(JSON.stringify({ op: "subscribe", channels: [{ type: "receipts" }] }));
      return;
    }
    if (msg.seq === undefined || !msg.data) return;
    const seq = Number(msg.seq);
    if (seq <= state.lastStreamSeq) return;
    state.lastStreamSeq = seq;
    document.getElementById("head-seq").textContent = msg.seq;
    label.textContent = `live (seq ${msg.seq})`;
    let changed = false;
    for (const e of msg.data.events ?? []) {
      // ratePpm in parts per million: shown in percent with 4 places (1 ppm = 0.0001 %).
      if (e.kind === "Funding") state.fundingRate.set(Number(e.market), BigInt(e.ratePpm));
      if (e.kind === "Liquidation" || e.kind === "Waterfall" || e.kind === "Deleveraged") {
        state.waterfall.unshift({ seq, e });
        changed = true;
      }
    }
    if (changed) {
      state.waterfall.length = Math.min(state.waterfall.length, WATERFALL_ROWS);
      renderInsurance();
    }
  });
  ws.addEventListener("close", () => {
    label.textContent = "reconnecting";
    setTimeout(connectStream, 2000);
  });
}

// One refresh at a time: the next starts POLL_MS after the last ended (a slow L1 never piles up requests).
async function pollLoop() {
  await poll();
  setTimeout(pollLoop, POLL_MS);
}

connectStream();
pollLoop();
