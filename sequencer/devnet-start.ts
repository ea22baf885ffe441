/**
 * `npm start`: a local devnet in one command. anvil (from the npm package) on a free loopback
 * port, the contracts deployed for the devnet genesis, test tokens minted to anvil's dev
 * accounts, the sequencer in L1 mode (deriver + poster) with a temp or given op log, and a
 * verifier (prover/verifier.ts) with its own SQLite file in the devnet's temp dir judging every
 * batch from L1 alone, its status reported by the sequencer's GET /v1/verifier; prints the
 * URLs and the funded accounts and runs until Ctrl-C (SIGINT/SIGTERM: clean stop).
 *
 * The verifier runs in this process, not as a child: stop() closes everything in one order
 * (bots, sequencer, verifier, anvil), so the verifier never polls a dying anvil and nothing
 * is left running if the devnet dies; its status server is the same `serve()` the
 * `crossmargin-verifier` CLI runs. The devnet's traffic is a few ops a second, so sharing the
 * event loop costs the sequencer nothing noticeable (a demo batch replays in milliseconds); a
 * verifier beside a loaded sequencer runs as its own process (the CLI).
 *
 * `npm start -- --demo` adds bots: deposits on L1, an oracle feeder (DEVNET_ORACLE_KEY), two
 * traders, a leveraged account that gets liquidated, and a withdrawal, all through the SDK,
 * so batches land on L1 within seconds. Progress lines go to stdout, the verifier's verdicts
 * among them.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createPublicClient, type Hex, formatUnits, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { type CrossmarginClient, createCrossmarginClient, createVaultClient } from "../sdk/index.js";
import { ConfigError, validateConfig } from "./config.js";
import { DEVNET_ORACLE_KEY, devnetGenesis } from "./devnet.js";
import { type Anvil, startAnvil } from "./l1/anvil.js";
import { contractsOf, deploy, type Deployment, l1Clients, walletFor } from "./l1/deploy.js";
import { type RunningSequencer, startSequencer } from "./service.js";
import { Verifier } from "../prover/verifier.js";

const USAGE = `usage: npm start [-- options]

  --demo            run bots: deposits, oracle prices, trades, a liquidation, a withdrawal
  --db <file>       the sequencer's op log (default: a new temp file; must be new: the chain is fresh)
  --port <n>        API port on 127.0.0.1 (default 0: any free port)
  --block-ms <n>    mine an L1 block this often, in ms (default 1000; 100..60000)
  --help`;

const USD = 1_000_000n;
const WETH = 10n ** 18n;
/** What each funded dev account gets minted on L1. */
const MINT = [1_000_000n * USD, 100n * WETH];

const say = (msg: string) => process.stdout.write(`[devnet ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

interface Options {
  demo: boolean;
  /** The devnet's temp dir (the verifier's file; the op log's unless --db). */
  dir: string;
  db: string;
  port: number;
  blockMs: number;
}

function parseOptions(argv: string[]): Options {
  let v: Record<string, string | boolean | undefined>;
  try {
    v = parseArgs({ args: argv, options: { demo: { type: "boolean" }, db: { type: "string" }, port: { type: "string" }, "block-ms": { type: "string" }, help: { type: "boolean" } }, strict: true }).values;
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (v.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const problems: string[] = [];
  const int = (name: string, raw: unknown, def: number, min: number, max: number) => {
    if (raw === undefined) return def;
    const n = Number(raw);
    if (!/^[0-9]+$/.test(String(raw)) || n < min || n > max) problems.push(`--${name}: "${String(raw)}" is not an integer in ${min}..${max}`);
    return n;
  };
  const port = int("port", v.port, 0, 0, 65535);
  const blockMs = int("block-ms", v["block-ms"], 1000, 100, 60_000);
  if (v.db !== undefined && String(v.db).trim() === "") problems.push("--db: a file path");
  if (problems.length > 0) {
    console.error(`npm start: invalid options\n  ${problems.join("\n  ")}\n\n${USAGE}`);
    process.exit(2);
  }
  const dir = mkdtempSync(join(tmpdir(), "crossmargin-devnet-"));
  const db = typeof v.db === "string" ? v.db : join(dir, "sequencer.db");
  return { demo: v.demo === true, dir, db, port, blockMs };
}

/** Human progress lines from the poster's and deriver's JSON lines (errors always shown). */
function progress(line: string): void {
  let e: Record<string, unknown>;
  try {
    e = JSON.parse(line) as Record<string, unknown>;
  } catch {
    say(line);
    return;
  }
  switch (e.event) {
    case "send":
      if (e.kind === "new") say(`L1: posting batch ${e.l1Batch} (${e.opCount} ops, ${e.dataBytes} bytes of data) tx ${String(e.tx).slice(0, 12)}…`);
      else say(`L1: batch ${e.l1Batch} re-sent (${e.kind})`);
      break;
    case "confirmed":
      say(`L1: batch ${e.l1Batch} confirmed in block ${e.block}`);
      break;
    case "params":
      say(`L1: governed batch interval ${e.batchIntervalMs} ms, max ${e.batchMaxOps} ops per batch`);
      break;
    default:
      if (e.level === "error" || e.level === "warn") say(`${e.component}: ${e.event ?? ""} ${e.error ?? e.msg ?? ""}`.trim());
  }
}

/** Human lines from the verifier's JSON events: each verdict, rollbacks and failed rounds. */
function verifierProgress(line: string): void {
  const e = JSON.parse(line) as Record<string, unknown>;
  const short = (h: unknown) => (typeof h === "string" ? `${h.slice(0, 12)}…` : String(h));
  switch (e.event) {
    case "verified":
      say(`verifier: batch ${e.batch} verified (${e.ops} ops replayed from L1, root ${short(e.root)} as posted)`);
      break;
    case "dispute":
      say(`verifier: batch ${e.batch} DISPUTED (${(e.reasons as string[]).join(", ")}): ${e.detail}`);
      break;
    case "rollback":
      say(`verifier: L1 rolled back batches after ${e.keep} (they are judged again)`);
      break;
    case "round_error":
      say(`verifier: round failed, retrying: ${e.error}`);
      break;
  }
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const genesis = devnetGenesis();
  say("starting anvil…");
  // Own process group: Ctrl-C stops the bots and the sequencer first, then anvil.
  const anvil: Anvil = await startAnvil({ ownProcessGroup: true });
  let seq: RunningSequencer | null = null;
  let verifier: Verifier | null = null;
  let ticker: ReturnType<typeof setInterval> | null = null;
  const bots: Bots = { running: true, tasks: [] };
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: stopping…`);
    bots.running = false;
    await Promise.allSettled(bots.tasks);
    if (ticker) clearInterval(ticker);
    await seq?.close();
    await verifier?.close();
    await anvil.stop();
    say("stopped");
    process.exit(0);
  };
  // `on`, not `once`: a Ctrl-C reaches this process more than once (the terminal signals the
  // whole process group, and npm/tsx relay it too); a repeat while stopping must not kill it
  // half-way through closing the sequencer's op log.
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));

  try {
    const [deployer, sequencer, ...users] = anvil.accounts;
    const clients = l1Clients(anvil.url, anvil.chainId, { deployer: deployer!.privateKey, sequencer: sequencer!.privateKey });
    say("deploying the contracts…");
    const d = await deploy({ clients, genesis });
    const k = contractsOf(d);
    for (const u of users) {
      for (const [asset, amount] of MINT.entries()) {
        const h = await k.tokens[asset]!.write.mint([u.address, amount]);
        await d.clients.public.waitForTransactionReceipt({ hash: h, pollingInterval: 50 });
      }
    }
    // The verifier reads L1 through its own client, as `crossmargin-verifier` would.
    verifier = new Verifier({
      client: createPublicClient({ transport: http(anvil.url, { retryCount: 2 }), cacheTime: 0 }),
      rollup: d.rollup,
      fromBlock: d.fromBlock,
      genesis,
      db: join(o.dir, "verifier.db"),
      confirmations: 1,
      pollMs: 500,
      progress: false,
      logLine: verifierProgress,
    });
    await verifier.init();
    const verifierUrl = `http://127.0.0.1:${await verifier.serve(0, "127.0.0.1")}`;
    verifier.start();
    let cfg;
    try {
      cfg = validateConfig(
        {
          db: o.db,
          port: o.port,
          chainId: BigInt(anvil.chainId),
          rollup: d.rollup,
          l1: { rpcUrl: anvil.url, fromBlock: d.fromBlock, sequencerKey: sequencer!.privateKey, confirmations: 1, postConfirmations: 2, pollMs: 200 },
          verifierUrl,
        },
        genesis,
      );
    } catch (e) {
      if (e instanceof ConfigError) {
        console.error(`npm start: ${e.message}`);
        process.exit(2);
      }
      throw e;
    }
    seq = await startSequencer({ ...cfg, l1Log: progress });
    if (seq.started.seq > 0) throw new Error(`--db ${o.db} already holds ${seq.started.seq} ops from another chain; give a new file (the devnet's L1 is fresh)`);
    // A block every blockMs, as on a real chain: confirmation depths need blocks to come.
    ticker = setInterval(() => void anvil.mine(1).catch(() => {}), o.blockMs);

    const symbols = ["USDC", "WETH"];
    const out = [
      "",
      "Crossmargin devnet is up",
      `  API        ${seq.url}          (GET /v1/info, docs/api.md; the SDK: createCrossmarginClient({ url }))`,
      `  Dashboard  ${seq.url}/         (batches, challenge windows, verdicts, disputes, reserves, markets)`,
      `  Metrics    ${seq.url}/metrics   (Prometheus; the verifier's at ${verifierUrl}/metrics)`,
      `  Verifier   ${verifierUrl}/status   (GET /batches/<n>: one verdict; summary: ${seq.url}/v1/verifier)`,
      `  L1 RPC     ${anvil.url}   chain id ${anvil.chainId}`,
      `  op log     ${o.db}`,
      `  verifier   ${join(o.dir, "verifier.db")}`,
      `  Rollup     ${d.rollup}`,
      `  Vault      ${d.vault}`,
      `  Governance ${d.governance}`,
      ...d.tokens.map((t, i) => `  ${symbols[i]!.padEnd(10)} ${t}`),
      `  deployer   ${deployer!.address}   sequencer ${sequencer!.address}`,
      "",
      `Funded test accounts (anvil's dev keys; 10,000 ETH each; ${formatUnits(MINT[0]!, 6)} USDC and ${formatUnits(MINT[1]!, 18)} WETH minted on L1):`,
      ...users.map((u) => `  ${u.address}  ${u.privateKey}`),
      "",
      "Deposit: approve the Vault for the token, then Vault.deposit(asset, amount); the sequencer credits it after 1 confirmation.",
      o.demo ? "Demo bots start now. Ctrl-C to stop." : "Ctrl-C to stop. (npm start -- --demo runs trading bots.)",
      "",
    ];
    process.stdout.write(`${out.join("\n")}\n`);
    if (o.demo) startDemo(bots, seq, d, anvil, users.slice(0, 3) as { address: Hex; privateKey: Hex }[]);
  } catch (e) {
    console.error(`npm start: ${(e as Error).message}`);
    if (ticker) clearInterval(ticker);
    await seq?.close().catch(() => {});
    await verifier?.close().catch(() => {});
    await anvil.stop();
    process.exit(1);
  }
}

// ───────────────────────────────────────────────────────────────────────── demo bots

interface Bots {
  running: boolean;
  tasks: Promise<unknown>[];
}

const BTC = 0;
const START_PRICES = [60_000n * USD, 3_000n * USD, 150n * USD];
const TICKS = [USD, 10_000n, 1_000n];

async function sleep(bots: Bots, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (bots.running && Date.now() < end) await new Promise((r) => setTimeout(r, Math.min(100, end - Date.now())));
}

function startDemo(bots: Bots, seq: RunningSequencer, d: Deployment, anvil: Anvil, users: { address: Hex; privateKey: Hex }[]): void {
  const [alice, bob, carol] = users.map((u) => createCrossmarginClient({ url: seq.url, account: privateKeyToAccount(u.privateKey) })) as [CrossmarginClient, CrossmarginClient, CrossmarginClient];
  const oracle = createCrossmarginClient({ url: seq.url, account: privateKeyToAccount(DEVNET_ORACLE_KEY), accountIndex: 0 });
  const prices = [...START_PRICES];
  let feederPaused = false;
  let step = 0;

  const feed = async (what: string) => {
    const r = await oracle.submitOp(await oracle.signOracleUpdate({ timestamp: BigInt(Date.now() - 200), prices: prices.map((price, id) => ({ kind: 0, id, price })) }));
    if (!r.ok) throw new Error(`oracle update refused: ${r.reason}`);
    say(`oracle: ${what} BTC ${formatUnits(prices[0]!, 6)} ETH ${formatUnits(prices[1]!, 6)} SOL ${formatUnits(prices[2]!, 6)}`);
  };

  // Oracle feeder: a small deterministic walk every 3 s (the markets' prices stay fresh).
  const feeder = (async () => {
    while (bots.running) {
      if (!feederPaused) {
        step++;
        for (let m = 0; m < prices.length; m++) {
          const bps = BigInt(((step * (m + 3)) % 7) - 3); // -3..+3 bps
          const p = prices[m]! + (prices[m]! * bps) / 10_000n;
          prices[m] = p - (p % TICKS[m]!);
        }
        await feed("prices").catch((e: Error) => say(`oracle: ${e.message}`));
      }
      await sleep(bots, 3_000);
    }
  })();

  const script = (async () => {
    // 1. Deposits on L1 (approve + Vault.deposit), credited on L2 after the confirmation depth.
    const amounts = [200_000n * USD, 200_000n * USD, 10_000n * USD];
    await Promise.all(
      users.map(async (u, i) => {
        const k = contractsOf(d, walletFor(d.clients, u.privateKey));
        await d.clients.public.waitForTransactionReceipt({ hash: await k.tokens[0]!.write.approve([d.vault, amounts[i]!]), pollingInterval: 50 });
        await d.clients.public.waitForTransactionReceipt({ hash: await k.vault.write.deposit([0, amounts[i]!]), pollingInterval: 50 });
        say(`deposit: ${u.address} deposited ${formatUnits(amounts[i]!, 6)} USDC into the Vault on L1`);
      }),
    );
    const clients = [alice, bob, carol];
    const index: number[] = [];
    for (const [i, c] of clients.entries()) {
      for (let tries = 0; bots.running && tries < 300; tries++) {
        const n = await c.accountByOwner(users[i]!.address).catch(() => null);
        if (n !== null) {
          index[i] = n;
          break;
        }
        await sleep(bots, 100);
      }
      if (index[i] === undefined) throw new Error(`the deposit of ${users[i]!.address} was not credited on L2 within 30 s`);
      say(`deposit: credited on L2 to account ${index[i]} (${formatUnits((await c.account()).balances[0]!, 6)} USDC)`);
    }
    await feed("first prices:");

    // 2. A few trades at the oracle price: maker posts, taker takes (sides alternate).
    const trade = async (maker: CrossmarginClient, taker: CrossmarginClient, makerSells: boolean, size: bigint, who: string) => {
      const price = prices[BTC]!;
      const ask = await maker.placeOrder({ market: BTC, side: makerSells ? "sell" : "buy", price, size, tif: "post-only" });
      if (!ask.ok) throw new Error(`maker order refused: ${ask.reason}`);
      const take = await taker.placeOrder({ market: BTC, side: makerSells ? "buy" : "sell", price, size, tif: "ioc" });
      const filled = take.fills.filter((f) => f.ok).length;
      say(`trade: ${who} ${formatUnits(size, 8)} BTC at ${formatUnits(price, 6)} (${filled} fill${filled === 1 ? "" : "s"}, seq ${take.seq})`);
    };
    for (let i = 0; i < 3 && bots.running; i++) {
      await trade(i % 2 === 0 ? alice : bob, i % 2 === 0 ? bob : alice, true, 1_000_000n, i % 2 === 0 ? "bob buys from alice" : "alice buys from bob");
      await sleep(bots, 1_000);
    }

    // 3. A liquidation: carol goes long 0.5 BTC on an isolated margin, the price falls below
    //    her maintenance level, alice liquidates her.
    if (bots.running) {
      await trade(alice, carol, true, 50_000_000n, "carol buys (leveraged) from alice");
      const pos = (await carol.account()).positions.find((p) => p.market === BTC);
      if (!pos || pos.size <= 0n) throw new Error("carol has no long BTC position to liquidate");
      // Isolated long: liquidatable below (entry − margin) / (0.975 · size); solvent above (entry − margin) / size.
      const scale = 100_000_000n;
      const liqAbove = ((pos.entryNotional - pos.isolatedMargin) * scale * 1000n) / (975n * pos.size);
      const solventAbove = ((pos.entryNotional - pos.isolatedMargin) * scale) / pos.size;
      let target = (liqAbove * 995n) / 1000n;
      target -= target % TICKS[BTC]!;
      if (target <= solventAbove) target = solventAbove + TICKS[BTC]!;
      feederPaused = true;
      prices[BTC] = target;
      await feed("BTC falls:");
      const liq = await alice.liquidate(index[2]!, BTC);
      const moved = liq.events.find((e) => e.kind === "Liquidation") as { size: bigint; price: bigint; penalty: bigint } | undefined;
      if (!liq.ok || !moved) throw new Error(`the liquidation was refused: ${liq.reason}`);
      say(`liquidation: alice liquidated ${formatUnits(moved.size, 8)} BTC of carol's position at ${formatUnits(moved.price, 6)} (penalty ${formatUnits(moved.penalty, 6)} USDC to the insurance fund, seq ${liq.seq})`);
      feederPaused = false;
    }

    // 4. A withdrawal: bob withdraws on L2; its batch goes to L1; claimable after the challenge window.
    if (bots.running) {
      const amount = 1_000n * USD;
      const w = await bob.withdraw({ asset: 0, amount });
      const created = w.events.find((e) => e.kind === "WithdrawalCreated") as { index: number } | undefined;
      if (!w.ok || !created) throw new Error(`withdrawal refused: ${w.reason}`);
      let batch: number | null = null;
      for (let tries = 0; bots.running && batch === null && tries < 100; tries++) {
        batch = (await bob.op(w.seq)).batch;
        if (batch === null) await sleep(bots, 100);
      }
      say(
        `withdraw: bob withdrew ${formatUnits(amount, 6)} USDC on L2 (record ${created.index}, L1 batch ${batch === null ? "?" : batch + 1}); ` +
          `claim on L1 after the challenge window with GET ${seq.url}/v1/withdrawals/${created.index}/proof?batch=${batch === null ? "<n>" : batch + 1} → Vault.claimWithdrawal`,
      );
      // 4b. Devnet only: anvil time travel past the challenge window, so the newcomer sees the
      //     batch final and the claim paid on L1 now instead of in a day.
      if (batch !== null) {
        const l1Batch = batch + 1;
        for (let tries = 0; bots.running && (await bob.info()).l1!.confirmedThrough < batch && tries < 300; tries++) await sleep(bots, 100);
        if (bots.running) {
          await anvil.increaseTime(d.params.challengeWindow + 1n);
          await anvil.mine(1);
          const final = await contractsOf(d).rollup.read.isFinalized([BigInt(l1Batch)]);
          say(`finality: devnet time travel past the ${d.params.challengeWindow} s challenge window; L1 batch ${l1Batch} final: ${final}`);
          const proof = await bob.withdrawalProof(created.index, l1Batch);
          const bobKey = users[1]!;
          const vault = createVaultClient({ publicClient: d.clients.public, walletClient: walletFor(d.clients, bobKey.privateKey), vault: d.vault, fromBlock: d.fromBlock });
          const usdc = contractsOf(d).tokens[0]!;
          const before = await usdc.read.balanceOf([bobKey.address]);
          const claimed = await vault.claimWithdrawal(proof);
          const after = await usdc.read.balanceOf([bobKey.address]);
          say(`claim: bob claimed ${formatUnits(after - before, 6)} USDC on L1 with the proof of record ${created.index} against L1 batch ${l1Batch} (tx ${claimed.txHash}); wallet ${formatUnits(before, 6)} → ${formatUnits(after, 6)} USDC`);
        }
      }
    }

    // 5. Keep trading until Ctrl-C.
    for (let i = 0; bots.running; i++) {
      await sleep(bots, 4_000);
      if (!bots.running) break;
      await trade(i % 2 === 0 ? bob : alice, i % 2 === 0 ? alice : bob, true, 1_000_000n, i % 2 === 0 ? "alice buys from bob" : "bob buys from alice").catch((e: Error) => say(`trade: ${e.message}`));
    }
  })().catch((e: Error) => {
    if (bots.running) say(`demo stopped: ${e.message}`);
  });
  bots.tasks.push(feeder, script);
}

await main();
