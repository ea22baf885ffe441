/**
 * The dashboard at GET / in headless Chromium (Debian's `chromium` driven by playwright-core,
 * no browser download): the devnet stack (anvil, contracts, the sequencer in L1 mode, an
 * in-process verifier) with desks that deposit on L1, trade and get liquidated; the page must
 * show batches arriving live, their posting and finality, the verifier's judgement, a dispute
 * of a lying batch posted on L1 with the sequencer's key, the reserves, markets, insurance
 * fund and waterfall events — each figure equal to the API's. Screenshots are saved under
 * test/artifacts/dashboard/ (gitignored); the directory is printed.
 */
import { existsSync, mkdirSync } from "node:fs";
import { type Browser, chromium, type Page } from "playwright-core";
import { type Hex, formatUnits, getContract, keccak256 } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createCrossmarginClient, type CrossmarginClient, parseL1Batches, parseL1Disputes, ShapeError } from "../sdk/index.js";
import { encodeBatchData, sealedBatchData } from "../sequencer/codec/index.js";
import { DEVNET_ORACLE_KEY } from "../sequencer/devnet.js";
import { contractsOf, disputeGameAbi, walletFor } from "../sequencer/l1/deploy.js";
import type { BatchHeader } from "../sequencer/l1/poster.js";
import { bytesToHex } from "../sequencer/state/bytes.js";
import { keyOf, startTest } from "../sequencer/api/test/helpers.js";
import { type Stack, startStack, stopStack, until } from "./stack.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARTIFACTS = new URL("./artifacts/dashboard/", import.meta.url).pathname;
const USD = 1_000_000n;
const BTC = 0;

let stack: Stack | undefined;
let browser: Browser | undefined;

/** Not a skip: without the browser each test fails, saying how to install it. */
const MISSING = existsSync(CHROMIUM) ? null : `the dashboard test needs Chromium at ${CHROMIUM}: install Debian's package (apt-get install -y chromium; .ci/run does this) or set CHROMIUM_PATH to a Chromium binary`;
function needBrowser(): void {
  if (MISSING !== null) throw new Error(MISSING);
}

beforeAll(async () => {
  if (MISSING !== null) return; // each test fails with the message
  mkdirSync(ARTIFACTS, { recursive: true });
  console.log(`dashboard screenshots: ${ARTIFACTS}`);
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
  stack = await startStack("embedded", { verifier: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stopStack(stack);
}, 60_000);

/** As the page formats atoms: grouped thousands, every decimal place (viem's formatUnits trims them). */
function units(atoms: bigint | string, decimals: number): string {
  const v = BigInt(atoms);
  const [whole, frac = ""] = formatUnits(v < 0n ? -v : v, decimals).split(".");
  return `${v < 0n ? "-" : ""}${whole!.replace(/\B(?=(\d{3})+(?!\d))/g, ",")}${decimals > 0 ? `.${frac.padEnd(decimals, "0")}` : ""}`;
}

async function api<T = any>(path: string): Promise<T> {
  const r = await fetch(`${stack!.seq.url}${path}`);
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status} ${await r.text()}`);
  return (await r.json()) as T;
}

const text = (page: Page, selector: string) => page.locator(selector).first().innerText();

/** Waits until `selector`'s text equals `expected()` (re-read each try: live values settle). */
async function shows(page: Page, selector: string, expected: () => Promise<string> | string, what: string, ms = 20_000): Promise<string> {
  let last = "";
  let want = "";
  try {
    return await until(stack!.lines, async () => {
      want = await expected();
      last = (await page.locator(selector).count()) > 0 ? await text(page, selector) : "(absent)";
      return last === want ? last : null;
    }, ms, what);
  } catch (e) {
    throw new Error(`${what}: the page shows "${last}" at ${selector}, the API says "${want}"\n${(e as Error).message}`);
  }
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });
}

/** Deposits `amount` USDC on L1 for `key` and waits for the L2 account. */
async function depositor(key: Hex, address: Hex, amount: bigint): Promise<{ client: CrossmarginClient; index: number }> {
  const { d, seq, lines } = stack!;
  const c = contractsOf(d, walletFor(d.clients, key));
  for (const h of [await c.tokens[0]!.write.mint([address, amount]), await c.tokens[0]!.write.approve([d.vault, amount]), await c.vault.write.deposit([0, amount])]) {
    expect((await d.clients.public.waitForTransactionReceipt({ hash: h, pollingInterval: 20 })).status).toBe("success");
  }
  const client = createCrossmarginClient({ url: seq.url, account: privateKeyToAccount(key) });
  const index = await until(lines, () => client.accountByOwner(address).catch(() => null), 30_000, `the deposit of ${address} credited`);
  return { client, index };
}

/**
 * Posts `data` as the next L1 batch claiming `opCount` operations and the post-state `root`,
 * with the sequencer's key (L1 checks neither the root nor the data's contents); returns the header.
 */
async function postLie(data: Uint8Array, opCount: bigint, root: Hex): Promise<BatchHeader> {
  const { d, anvil } = stack!;
  const k = contractsOf(d, d.clients.sequencer);
  // The header's l1Timestamp must be its block's: blocks keep coming (the stack mines every
  // 250 ms), so pin the next block's time and retry if a tick took it first.
  for (let attempt = 0; attempt < 5; attempt++) {
    const next = await k.rollup.read.nextBatchIndex();
    const parent = await k.rollup.read.batch([next - 1n]);
    const ts = (await anvil.head()).timestamp + 2n;
    await anvil.setNextBlockTimestamp(ts);
    const header: BatchHeader = {
      batchIndex: next,
      parentHash: parent.headerHash,
      prevStateRoot: parent.stateRoot,
      newStateRoot: root,
      opCount,
      queuePosition: BigInt(parent.queuePosition),
      queueChainHash: await k.rollup.read.queueChainAt([BigInt(parent.queuePosition)]),
      dataHash: keccak256(data),
      l1Timestamp: ts,
    };
    try {
      const hash = await k.rollup.write.submitBatch([header, bytesToHex(data) as Hex]);
      const r = await d.clients.public.waitForTransactionReceipt({ hash, pollingInterval: 20, timeout: 20_000 });
      if (r.status === "success") return header;
    } catch {
      // refused in simulation (BadHeader l1Timestamp: a tick mined the pinned block first): again
    }
  }
  throw new Error("could not post the lying batch in 5 attempts");
}

it("shows batches live, their L1 standing and the verifier's verdicts, a dispute, reserves, markets and the waterfall, equal to the API", async () => {
  needBrowser();
  const { anvil, d, seq, lines } = stack!;

  // ── traffic: three desks deposit on L1, trade, one is liquidated (as the devnet demo does) ──
  const [a, b, c] = [anvil.accounts[2]!, anvil.accounts[3]!, anvil.accounts[4]!];
  const alice = await depositor(a.privateKey, a.address, 200_000n * USD);
  const bob = await depositor(b.privateKey, b.address, 200_000n * USD);
  const carol = await depositor(c.privateKey, c.address, 10_000n * USD);
  const oracle = createCrossmarginClient({ url: seq.url, account: privateKeyToAccount(DEVNET_ORACLE_KEY), accountIndex: 0 });
  const prices = [60_000n * USD, 3_000n * USD, 150n * USD];
  const feed = async () => {
    const r = await oracle.submitOp(await oracle.signOracleUpdate({ timestamp: BigInt(Date.now() - 200), prices: prices.map((price, id) => ({ kind: 0, id, price })) }));
    expect(r.ok, r.reason ?? "").toBe(true);
    return r;
  };
  await feed();
  const trade = async (maker: CrossmarginClient, taker: CrossmarginClient, size: bigint) => {
    expect((await maker.placeOrder({ market: BTC, side: "sell", price: prices[BTC]!, size, tif: "post-only" })).ok).toBe(true);
    const t = await taker.placeOrder({ market: BTC, side: "buy", price: prices[BTC]!, size, tif: "ioc" });
    expect(t.fills.filter((f) => f.ok).length).toBeGreaterThan(0);
  };
  await trade(alice.client, bob.client, 1_000_000n);
  await trade(alice.client, carol.client, 50_000_000n);
  const pos = (await carol.client.account()).positions.find((p) => p.market === BTC)!;
  // Isolated long: liquidatable below (entry − margin) / (0.975 · size), solvent above (entry − margin) / size.
  const liqAbove = ((pos.entryNotional - pos.isolatedMargin) * 100_000_000n * 1000n) / (975n * pos.size);
  let target = (liqAbove * 995n) / 1000n;
  target -= target % USD;
  prices[BTC] = target;
  await feed();
  const liq = await alice.client.liquidate(carol.index, BTC);
  expect(liq.ok, liq.reason ?? "").toBe(true);
  expect(liq.events.some((e) => e.kind === "Liquidation")).toBe(true);

  // Batches on L1 before the page opens.
  await until(lines, async () => ((await api("/v1/info")).l1.confirmedThrough >= 1 ? true : null), 30_000, "two batches confirmed on L1");

  const page = await browser!.newPage({ viewport: { width: 1600, height: 1200 } });
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));
  // Chromium logs every 4xx as a console error; those are checked by URL below instead.
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) pageErrors.push(m.text());
  });
  const refused = new Set<string>();
  page.on("response", (r) => {
    if (r.status() >= 400) refused.add(`${r.status()} ${new URL(r.url()).pathname}`);
  });
  await page.goto(`${seq.url}/`);
  await page.locator("#batches tbody tr[data-batch]").first().waitFor({ timeout: 20_000 });
  await shows(page, "#stream-state", async () => `live (seq ${(await api("/v1/info")).seq})`, "the stream is live at the head");
  await shot(page, "1-opened");

  // ── the batch table against GET /v1/l1/batches (newest first) ──
  const rowsMatch = async () => {
    const info = await api("/v1/info");
    const view = await api(`/v1/l1/batches?from=${Math.max(0, info.l1.sealedBatches - 20)}&limit=20`);
    const want = [...view.batches].reverse().map((x: any) => `${x.l1Batch} ${x.postRoot} ${x.fromSeq}-${x.toSeq}`);
    const got = await page.locator("#batches tbody tr[data-batch]").evaluateAll((trs) =>
      trs.map((tr) => `${tr.getAttribute("data-batch")} ${tr.children[2]!.getAttribute("title")} ${tr.children[1]!.textContent!.replace(/^.*\((\d+)–(\d+)\)$/, "$1-$2")}`),
    );
    return JSON.stringify(got) === JSON.stringify(want) ? got : null;
  };
  const before = await until(lines, rowsMatch, 20_000, "the batch rows equal GET /v1/l1/batches");

  // ── live: a new op seals a new batch; the page shows it without a reload ──
  const newest = Number(before[0]!.split(" ")[0]);
  prices[1] = 3_010n * USD;
  const fed = await feed();
  await page.locator(`#batches tbody tr[data-batch="${newest + 1}"]`).waitFor({ timeout: 20_000 });
  await shows(page, "#head-seq", async () => String((await api("/v1/info")).seq), "the head seq follows the stream");
  expect(Number(await text(page, "#head-seq"))).toBeGreaterThanOrEqual(Number(fed.seq));
  await until(lines, rowsMatch, 20_000, "the batch rows equal GET /v1/l1/batches after the new batch");

  // The posting column follows L1 live: the new batch reaches "confirmed" on the page.
  const l1Row = async (l1Batch: number) => (await api(`/v1/l1/batches?from=${l1Batch - 1}&limit=1`)).batches[0];
  await until(lines, async () => ((await l1Row(newest + 1)).post?.status === "confirmed" ? true : null), 30_000, "the new batch confirmed on L1");
  await shows(page, `#batches tr[data-batch="${newest + 1}"] td:nth-child(4)`, () => "confirmed", "the posting status");
  // Not final yet: the time left is the API's finalAt minus the L1 head time the page last read
  // (blocks keep coming, so the head the page shows and the one the test reads may differ).
  const windowCell = `#batches tr[data-batch="${newest + 1}"] td.window`;
  await shows(page, windowCell, async () => {
    const head = BigInt((await page.locator("#batches-note").getAttribute("data-head"))!);
    const view = await api(`/v1/l1/batches?from=${newest}&limit=1`);
    expect(view.batches[0].finalized).toBe(false);
    expect(head).toBeLessThanOrEqual(BigInt(view.head.timestamp));
    const s = BigInt(view.batches[0].finalAt) - head;
    const dd = s / 86400n, hh = (s % 86400n) / 3600n, mm = (s % 3600n) / 60n, ss = s % 60n;
    return `${dd > 0n ? `${dd}d ${hh}h ${mm}m ` : hh > 0n ? `${hh}h ${mm}m ` : mm > 0n ? `${mm}m ` : ""}${ss}s left`;
  }, "the time left in the challenge window");

  // ── markets, insurance fund and the liquidation in the waterfall table ──
  const info = await api("/v1/info");
  const markets = await api<any[]>("/v1/markets");
  for (const m of markets) {
    await shows(page, `#markets tr[data-market="${m.id}"] [data-field=price]`, async () => units((await api<any[]>("/v1/markets"))[m.id].oraclePrice, 6), `market ${m.id}'s oracle price`);
    await shows(page, `#markets tr[data-market="${m.id}"] [data-field=openInterest]`, async () => units((await api<any[]>("/v1/markets"))[m.id].openInterest, 8), `market ${m.id}'s open interest`);
    await shows(page, `#markets tr[data-market="${m.id}"] [data-field=fundingIndex]`, async () => String((await api<any[]>("/v1/markets"))[m.id].fundingIndex), `market ${m.id}'s funding index`);
  }
  expect(BigInt(markets[BTC].openInterest)).toBeGreaterThan(0n);
  expect(BigInt(info.assets[0].insuranceFund)).toBeGreaterThan(0n); // the liquidation's penalty
  const sdkInfo = await alice.client.info();
  expect(sdkInfo.maxOracleAgeMs).toBe(BigInt(info.maxOracleAgeMs));
  expect(sdkInfo.assets.map((x) => x.insuranceFund)).toEqual(info.assets.map((x: any) => BigInt(x.insuranceFund)));
  await shows(page, `#insurance tr[data-asset="0"] [data-field=insuranceFund]`, async () => units((await api("/v1/info")).assets[0].insuranceFund, 6), "the insurance fund");
  const liqEvent = liq.events.find((e) => e.kind === "Liquidation") as { account: number; size: bigint; price: bigint; penalty: bigint };
  const liqRow = page.locator(`#waterfall tr[data-seq="${liq.seq}"][data-kind="Liquidation"]`);
  await liqRow.waitFor({ timeout: 10_000 });
  expect(await liqRow.innerText()).toContain(`size ${units(liqEvent.size, 8)} at ${units(liqEvent.price, 6)} by account ${alice.index}, penalty ${units(liqEvent.penalty, 6)}`);
  await shot(page, "2-live");

  // ── finality: time passes the challenge window; the page says final and shows the reserves ──
  const verifiedThrough = await until(lines, async () => {
    const v = await api("/v1/verifier");
    return v.verifiedThrough !== null && v.verifiedThrough >= newest + 1 ? v.verifiedThrough : null;
  }, 30_000, "the verifier judged the new batch");
  await anvil.increaseTime(d.params.challengeWindow + 1n);
  await anvil.mine(1);
  await shows(page, windowCell, () => "final", "the batch is final on the page");
  await shows(page, `#batches tr[data-batch="${newest + 1}"] td.verdict`, () => "verified", "the verifier's verdict on the page");
  const reserves = await until(lines, () => api("/v1/reserves").catch(() => null), 20_000, "reserves at a final batch");
  await shows(page, "#reserves-note", async () => {
    const r = await api("/v1/reserves");
    return `(L1 batch ${r.batch}, final, L1 block ${r.l1Block}: ${r.covered ? "covered" : "NOT COVERED"})`;
  }, "the reserves' batch", 30_000);
  expect(reserves.covered).toBe(true);
  for (const [field, key] of [["vault", "vaultBalance"], ["owed", "owed"], ["pending", "pendingDeposits"], ["surplus", "surplus"], ["claimed", "claimedWithdrawals"]] as const) {
    await shows(page, `#reserves tr[data-asset="0"] [data-field=${field}]`, async () => units((await api("/v1/reserves")).assets[0][key], 6), `reserves ${key}`);
  }
  await shows(page, `#reserves tr[data-asset="0"] [data-field=liabilities]`, async () => units((await api("/v1/reserves")).assets[0].liabilities.total, 6), "reserves liabilities");
  await shows(page, "#verifier [data-field=verifiedThrough]", async () => `L1 batch ${(await api("/v1/verifier")).verifiedThrough}`, "the verifier's verified-through");
  expect(verifiedThrough).toBeGreaterThanOrEqual(newest + 1);
  await shot(page, "3-final");

  // ── click through a batch: its detail equals GET /v1/batches/:index and /v1/l1/batches ──
  await page.locator(`#batches tr[data-batch="${newest}"]`).click();
  await page.locator("#batch-detail-fields").waitFor({ timeout: 10_000 });
  const sealed = await api(`/v1/batches/${newest - 1}`);
  const onL1 = await l1Row(newest);
  expect(await text(page, "#batch-detail [data-field=postRoot]")).toBe(sealed.postRoot);
  expect(await text(page, "#batch-detail [data-field=preRoot]")).toBe(sealed.preRoot);
  expect(await text(page, "#batch-detail [data-field=ops]")).toBe(`${Number(sealed.toSeq) - Number(sealed.fromSeq) + 1} (seq ${sealed.fromSeq}–${sealed.toSeq})`);
  expect(await text(page, "#batch-detail [data-field=txHash]")).toBe(`${onL1.post.txHash} (confirmed, block ${onL1.post.blockNumber})`);
  expect(await text(page, "#batch-detail [data-field=l1Root]")).toBe(sealed.postRoot);
  expect(await text(page, "#batch-detail [data-field=window]")).toBe("final");
  expect(await text(page, "#batch-detail [data-field=verdict]")).toBe("verified");
  const opRows = page.locator("#batch-ops tbody tr");
  expect(await opRows.count()).toBe(Math.min(25, Number(sealed.toSeq) - Number(sealed.fromSeq) + 1));
  const firstOp = await api(`/v1/ops/${sealed.fromSeq}`);
  expect(await opRows.first().innerText()).toContain(firstOp.op.type);
  await page.locator("#batch-detail").scrollIntoViewIfNeeded();
  await shot(page, "4-batch-detail");

  // ── a dispute: the sequencer's key posts a batch's real data with a lying root on L1; the
  //    verifier disputes it and a challenger opens a dispute game (two moves follow) ──
  // The poster stops first (the same key would race it for nonces). Two oracle updates in one
  // request are sealed into one batch, which is posted with the lie.
  await until(lines, async () => {
    const l1 = (await api("/v1/info")).l1;
    const onL1 = Number(await contractsOf(d).rollup.read.nextBatchIndex()) - 1;
    return l1.sealedBatches === l1.confirmedThrough + 1 && onL1 === l1.sealedBatches ? true : null;
  }, 30_000, "every sealed batch posted and confirmed");
  await seq.l1!.poster!.stop();
  const now = BigInt(Date.now());
  const two = await oracle.submit([
    await oracle.signOracleUpdate({ timestamp: now - 150n, prices: [{ kind: 0, id: 2, price: 151n * USD }] }),
    await oracle.signOracleUpdate({ timestamp: now - 100n, prices: [{ kind: 0, id: 2, price: 152n * USD }] }),
  ]);
  expect(two.every((r) => "seq" in r && r.ok)).toBe(true);
  const lastSeq = BigInt((two[1] as { seq: bigint }).seq);
  const opBatch = await until(lines, async () => (await api(`/v1/ops/${lastSeq}`)).batch, 15_000, "the two updates sealed");
  expect((await api(`/v1/ops/${lastSeq - 1n}`)).batch).toBe(opBatch);
  const lie = keccak256(new TextEncoder().encode("not the state"));
  expect(await contractsOf(d).rollup.read.nextBatchIndex()).toBe(BigInt(opBatch + 1));
  const sealedLie = seq.core.log.batch(opBatch)!;
  const header = await postLie(sealedBatchData(seq.core.log, opBatch), BigInt(sealedLie.toSeq - sealedLie.fromSeq + 1), lie);
  const lying = Number(header.batchIndex);
  const dispute = await until(lines, async () => (await api("/v1/verifier")).disputes.find((x: any) => x.batch === lying) ?? null, 30_000, `the verifier's dispute of L1 batch ${lying}`);
  expect(dispute.reasons).toContain("root_mismatch");
  // Bad input to the L1 views is refused with the field named.
  for (const q of ["limit=101", "limit=0", "from=x"]) {
    const r = await fetch(`${seq.url}/v1/l1/batches?${q}`);
    expect(r.status, q).toBe(400);
    expect(await r.json()).toMatchObject({ code: "INVALID_FIELD", field: q.split("=")[0] });
  }
  expect(dispute.derivedRoot).toBe(bytesToHex(seq.core.log.batch(opBatch)!.postRoot)); // the true root

  // The game opens only with a one-step prover appointed; this one never reaches `step` (the
  // only call into the prover), so governance (impersonated) appoints an address that stands in.
  const gameAt = (wallet: Parameters<typeof walletFor>[1] | null) =>
    getContract({ address: d.disputeGame, abi: disputeGameAbi, client: { public: d.clients.public, wallet: wallet === null ? d.clients.sequencer : walletFor(d.clients, wallet) } });
  await anvil.rpc("anvil_impersonateAccount", [d.governance]);
  await anvil.rpc("anvil_setBalance", [d.governance, "0xde0b6b3a7640000"]);
  const gov = await d.clients.deployer.writeContract({ address: d.disputeGame, abi: disputeGameAbi, functionName: "setProver", args: [anvil.accounts[8]!.address], account: d.governance, chain: d.clients.deployer.chain });
  expect((await d.clients.public.waitForTransactionReceipt({ hash: gov, pollingInterval: 20 })).status).toBe("success");
  await anvil.rpc("anvil_stopImpersonatingAccount", [d.governance]);
  const challenger = gameAt(anvil.accounts[5]!.privateKey);
  const defender = gameAt(null); // the batch's submitter: the sequencer's key
  const mined = async (hash: Hex) => expect((await d.clients.public.waitForTransactionReceipt({ hash, pollingInterval: 20 })).status).toBe("success");
  await mined(await challenger.write.open([header], { value: await challenger.read.challengerBond() }));
  // A sequencer that defends its own batches (a `defender` on the running sequencer) bisects by
  // itself; otherwise its key moves here.
  const bisectedMove = async () => (await api("/v1/l1/disputes")).games.find((x: any) => x.id === "1")?.moves.find((m: any) => m.kind === "bisected") ?? null;
  if ((seq as { defender?: unknown }).defender) await until(lines, bisectedMove, 20_000, "the sequencer's defender bisects");
  else await mined(await defender.write.bisect([1n, keccak256(new TextEncoder().encode("the defender's midpoint"))]));
  const midRoot = (await bisectedMove()).root as Hex;
  await mined(await challenger.write.choose([1n, false]));

  await page.locator(`#disputes tr[data-dispute="${lying}"]`).waitFor({ timeout: 20_000 });
  await page.locator(`#disputes tr[data-dispute="${lying}"]`).click();
  await page.locator("#dispute-detail-fields").waitFor({ timeout: 10_000 });
  expect(await text(page, "#dispute-detail [data-field=reasons]")).toBe(dispute.reasons.join(", "));
  expect(await text(page, "#dispute-detail [data-field=headerRoot]")).toBe(lie);
  expect(await text(page, "#dispute-detail [data-field=derivedRoot]")).toBe(dispute.derivedRoot);
  expect(await text(page, "#dispute-detail [data-field=txHash]")).toBe(dispute.txHash);
  expect(await text(page, "#dispute-detail [data-field=detail]")).toBe(dispute.detail);
  await shows(page, `#batches tr[data-batch="${lying}"] td.verdict`, () => `disputed: ${dispute.reasons.join(", ")}`, "the disputed batch's verdict in the table");
  await shows(page, `#batches tr[data-batch="${lying}"] td:nth-child(5)`, () => "ROOT DIFFERS", "the L1 root differs from the sealed one");

  // The game's moves, as GET /v1/l1/disputes reports them, in the dispute's detail.
  const games = (await api("/v1/l1/disputes")).games.filter((g: any) => Number(g.batch) === lying);
  expect(games.map((g: any) => g.moves.map((m: any) => m.kind))).toEqual([["opened", "bisected", "chosen"]]);
  const g = games[0];
  expect(g).toMatchObject({ id: "1", status: "stepping", turn: "challenger", lo: "0", hi: "1" });
  await shows(page, `#disputes tr[data-dispute="${lying}"] td.onl1`, () => "game 1: stepping, challenger to move (3 moves)", "the game's standing in the disputes table");
  const moveRows = page.locator(`#dispute-detail table.moves[data-game="1"] tbody tr`);
  await until(lines, async () => ((await moveRows.count()) === 3 ? true : null), 10_000, "the three moves in the detail");
  const cells = await moveRows.evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
  expect(cells.map((c) => c[2])).toEqual(g.moves.map((m: any) => String(m.block)));
  expect(cells[1]![1]).toBe(`defender: root after 1 operations is ${midRoot}`);
  expect(cells[2]![1]).toBe("challenger disagrees: operations 0..1 in dispute");
  expect(await text(page, `#dispute-detail dl[data-game="1"] [data-field=interval]`)).toBe("0..1");
  await page.locator("#verifier-section").scrollIntoViewIfNeeded();
  await shot(page, "5-dispute");

  // The SDK reads both views; its parsers keep every field (bigints back to the API's strings).
  const plainJson = (x: unknown) => JSON.parse(JSON.stringify(x, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));
  const rawDisputes = await api("/v1/l1/disputes");
  expect(plainJson(parseL1Disputes(rawDisputes))).toEqual(rawDisputes);
  const rawBatches = await api(`/v1/l1/batches?from=0&limit=100`);
  expect(plainJson(parseL1Batches(rawBatches))).toEqual(rawBatches);
  expect((await alice.client.l1Disputes()).games[0]!.moves.map((m) => m.kind)).toEqual(["opened", "bisected", "chosen"]);
  const viaSdk = await alice.client.l1Batches({ from: lying - 1, limit: 1 });
  expect(viaSdk.batches[0]).toMatchObject({ l1Batch: lying, post: null, onL1: { stateRoot: lie, rootMatches: false } });
  const tampered = structuredClone(rawBatches);
  tampered.batches[0].post.status = "posted";
  expect(() => parseL1Batches(tampered)).toThrow(ShapeError);
  expect(() => parseL1Batches(tampered)).toThrow(/batches\[0\]\.post\.status/);

  // ── a one-transaction fault proof: an empty batch that changes the root, on top of the
  //    lie, proven by anyone with DisputeGame.proveDataFault (it rolls that batch back) ──
  const empty = encodeBatchData([]);
  const emptyLie = await postLie(empty, 0n, keccak256(new TextEncoder().encode("an empty batch changed this")));
  const prover = gameAt(anvil.accounts[6]!.privateKey);
  await mined(await prover.write.proveDataFault([emptyLie, bytesToHex(empty) as Hex]));
  const proof = await until(lines, async () => (await api("/v1/l1/disputes")).faultProofs.find((f: any) => Number(f.batch) === Number(emptyLie.batchIndex)) ?? null, 10_000, "the fault proof in /v1/l1/disputes");
  expect(proof).toMatchObject({ fault: "emptyBatchRootChanged", prover: anvil.accounts[6]!.address, decode: null });
  expect(BigInt(proof.slashed)).toBe(d.params.sequencerBond);
  const faultRow = `#disputes tr[data-dispute="${emptyLie.batchIndex}"]`;
  await page.locator(faultRow).waitFor({ timeout: 20_000 });
  await shows(page, `${faultRow} td.onl1`, () => "fault proven: emptyBatchRootChanged", "the fault proof in the disputes table");
  await page.locator(faultRow).click();
  await shows(page, `#dispute-detail [data-fault]`, () => `emptyBatchRootChanged (detail ${proof.detail}) by ${anvil.accounts[6]!.address.slice(0, 10)}…${anvil.accounts[6]!.address.slice(-4)} in block ${proof.block}: the batch and later ones rolled back, ${units(proof.slashed, 18)} ETH slashed`, "the fault proof's detail");
  await page.locator("#verifier-section").scrollIntoViewIfNeeded();
  await shot(page, "6-fault-proof");

  expect(pageErrors).toEqual([]);
  // The only refusals: the reserves before any batch was final (404 BATCH_UNKNOWN).
  expect([...refused]).toEqual(["404 /v1/reserves"]);
  await page.close();
}, 240_000);

it("without L1: the op log's batches, and the panels say what needs L1 or a verifier; the routes refuse bad input", async () => {
  needBrowser();
  const plain = await startTest();
  try {
    const owner = privateKeyToAccount(keyOf("dashboard-desk")).address;
    for (let i = 0; i < 3; i++) {
      const r = await fetch(`${plain.url}/v1/dev/deposit`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ owner, asset: 0, amount: String(1_000n * USD + BigInt(i)) }) });
      expect(r.status).toBe(200);
      await new Promise((r) => setTimeout(r, 250)); // the 200 ms interval seals each into its own batch
    }
    const sealed = await until([], async () => {
      const b = (await (await fetch(`${plain.url}/v1/batches`)).json()) as { index: number; fromSeq: number; toSeq: number; postRoot: string }[];
      return b.length >= 3 ? b : null;
    }, 10_000, "three sealed batches");

    // The routes: the three files, nothing else; the L1 views need L1 mode.
    const res = async (path: string) => {
      const r = await fetch(`${plain.url}${path}`);
      return { status: r.status, type: r.headers.get("content-type"), body: await r.text() };
    };
    expect(await res("/")).toMatchObject({ status: 200, type: "text/html; charset=utf-8" });
    expect((await res("/dashboard/app.js")).type).toBe("text/javascript; charset=utf-8");
    expect((await res("/dashboard/style.css")).type).toBe("text/css; charset=utf-8");
    for (const bad of ["/dashboard/constructor", "/dashboard/..%2Fapi%2Fserver.ts", "/dashboard/index.js"]) {
      const r = await res(bad);
      expect(r.status, bad).toBe(404);
      expect(JSON.parse(r.body)).toMatchObject({ code: "NOT_FOUND", field: "file" });
    }
    for (const path of ["/v1/l1/batches", "/v1/l1/disputes"]) {
      const r = await res(path);
      expect(r.status).toBe(404);
      expect(JSON.parse(r.body).message).toMatch(/L1 mode \(--l1-rpc\)/);
    }

    const page = await browser!.newPage({ viewport: { width: 1600, height: 1000 } });
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await page.goto(`${plain.url}/`);
    const newest = sealed[sealed.length - 1];
    await page.locator(`#batches tr[data-batch="${newest.index + 1}"]`).waitFor({ timeout: 10_000 });
    expect(await text(page, "#head-l1")).toBe("off (no --l1-rpc)");
    expect(await text(page, `#batches tr[data-batch="${newest.index + 1}"] td:nth-child(3)`)).toBe(`${newest.postRoot.slice(0, 10)}…${newest.postRoot.slice(-4)}`);
    await shows(page, "#verifier [data-field=state]", () => "no verifier configured (--verifier-url)", "the verifier panel without a verifier");
    await shows(page, "#reserves-note", () => "(L1 mode only)", "the reserves panel without L1");
    await shows(page, `#insurance tr[data-asset="0"] [data-field=insuranceFund]`, () => "0.000000", "an empty insurance fund");
    await page.locator(`#batches tr[data-batch="${newest.index + 1}"]`).click();
    await page.locator("#batch-detail-fields").waitFor({ timeout: 10_000 });
    expect(await text(page, "#batch-detail [data-field=postRoot]")).toBe(newest.postRoot);
    expect(await text(page, "#batch-detail [data-field=txHash]")).toBe("not sent");
    expect(await text(page, "#batch-detail [data-field=window]")).toBe("no L1");
    expect(await page.locator("#batch-ops tbody tr").count()).toBe(newest.toSeq - newest.fromSeq + 1);
    await shot(page, "7-no-l1");
    expect(pageErrors).toEqual([]);
    await page.close();
  } finally {
    await plain.close();
  }
}, 60_000);
