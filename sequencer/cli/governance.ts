/**
 * `crossmargin governance propose|execute <param> <value>`: timelocked parameter changes
 * through Governance.sol. `propose` schedules the setter call (owner only) and prints when it
 * becomes executable (the ETA, in L1 time); `execute` finds that scheduled call on L1, waits
 * for the ETA with `--wait` (a progress bar), and executes it (anyone may).
 *
 * Every check the contract makes is made first, with the bounds and the maximum step read
 * from the contract itself (docs/contracts.md §Governance parameters lists the same table),
 * so a proposal that would revert at execution two days later is refused now with the
 * reason; the setter is also simulated as Governance calls it (eth_call from its address),
 * which runs the checks the table cannot show (the dispute game's span rule).
 */
import {
  type Address,
  BaseError,
  type Hex,
  ContractFunctionRevertedError,
  decodeErrorResult,
  encodeAbiParameters,
  encodeFunctionData,
  keccak256,
  parseEther,
  parseEventLogs,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { disputeGameAbi, governanceAbi, rollupAbi } from "../l1/abi.js";
import { l1Clients, type L1Clients } from "../l1/deploy.js";
import { addressOption, api, type CliIO, CliError, intOption, keyOption, parseCommand, ProgressBar, readClient, sequencerUrl, toJsonText, urlOption, usageError } from "./common.js";

type Unit = "s" | "ops" | "wei";
interface ParamSpec {
  /** Which setter: Rollup.Param via setL1Param, DisputeGame.Param via setDisputeParam, or setDelay. */
  kind: "l1" | "dispute" | "delay";
  /** The enum value of the setter's parameter (unused for delay). */
  index: number;
  unit: Unit;
  what: string;
}

/** The numeric parameters Governance sets (enum order as in Rollup.Param / DisputeGame.Param). */
export const PARAMS: Readonly<Record<string, ParamSpec>> = {
  batchInterval: { kind: "l1", index: 0, unit: "s", what: "seconds between batches (the sequencer seals at this interval)" },
  maxBatchSize: { kind: "l1", index: 1, unit: "ops", what: "operations per batch" },
  challengeWindow: { kind: "l1", index: 2, unit: "s", what: "seconds a batch can be disputed" },
  inclusionDeadline: { kind: "l1", index: 3, unit: "s", what: "seconds before a queued L1 input must be included" },
  maxBatchGap: { kind: "l1", index: 4, unit: "s", what: "seconds without a batch before anyone may freeze" },
  sequencerBond: { kind: "l1", index: 5, unit: "wei", what: "the sequencer's bond" },
  forcedOpFee: { kind: "l1", index: 6, unit: "wei", what: "fee of a forced operation" },
  exitWindow: { kind: "l1", index: 7, unit: "s", what: "seconds of the exit window after a freeze" },
  clockDuration: { kind: "dispute", index: 0, unit: "s", what: "each dispute party's clock" },
  resolutionGrace: { kind: "dispute", index: 1, unit: "s", what: "grace after both clocks ran out" },
  challengerBond: { kind: "dispute", index: 2, unit: "wei", what: "a challenger's deposit" },
  delay: { kind: "delay", index: 0, unit: "s", what: "the timelock delay itself" },
};

const L1_GETTERS = ["batchInterval", "maxBatchSize", "challengeWindow", "inclusionDeadline", "maxBatchGap", "sequencerBond", "forcedOpFee", "exitWindow"] as const;

export const USAGE = `usage: crossmargin governance propose <param> <value> [options]
       crossmargin governance execute <param> <value> [options]

  propose   schedule the change on Governance (the owner's key); prints its ETA
  execute   execute a scheduled change once its timelock delay has passed (any key)

  <param>   ${Object.keys(PARAMS).join(", ")}
  <value>   an integer in the parameter's unit (seconds, ops or wei); seconds also as
            30s, 10m, 2h, 1d; wei also as 0.5eth or 2gwei

  --rpc <url>          L1 JSON-RPC (or env CROSSMARGIN_L1_RPC; default: the sequencer's, from --url)
  --governance <addr>  Governance contract (default: the Rollup's governance())
  --rollup <addr>      Rollup contract (default: the sequencer's, from --url)
  --url <url>          sequencer API, to find the L1 RPC and the Rollup (or env CROSSMARGIN_URL)
  --key <0x..>         the signing key (or env CROSSMARGIN_GOVERNANCE_KEY); propose: the owner's
  --salt <n>           execute: the proposal's salt (default: found in Governance's Scheduled events)
  --from-block <n>     execute: first block to search for Scheduled events (default 0)
  --wait               execute: wait for the ETA (progress on stderr) instead of failing
  --poll-ms <n>        execute --wait: how often to read the L1 head (default 1000)
  --json               one JSON object on stdout`;

const OPTIONS = {
  rpc: { type: "string" },
  governance: { type: "string" },
  rollup: { type: "string" },
  url: { type: "string" },
  key: { type: "string" },
  salt: { type: "string" },
  "from-block": { type: "string" },
  wait: { type: "boolean" },
  "poll-ms": { type: "string" },
} as const;

const SECONDS: Record<string, bigint> = { s: 1n, m: 60n, h: 3600n, d: 86_400n };

/** `raw` in the parameter's unit; a usage error says the accepted forms. */
export function parseValue(param: string, unit: Unit, raw: string): bigint {
  if (/^[0-9]+$/.test(raw)) return BigInt(raw);
  const t = /^([0-9]+)(s|m|h|d)$/.exec(raw);
  if (unit === "s" && t) return BigInt(t[1]!) * SECONDS[t[2]!]!;
  const w = /^([0-9]+(?:\.[0-9]+)?)(eth|ether|gwei)$/.exec(raw);
  if (unit === "wei" && w) {
    // parseEther rounds digits beyond 1 wei away; a value with more is refused, not rounded.
    const decimals = w[2] === "gwei" ? 9 : 18;
    if ((w[1]!.split(".")[1] ?? "").length <= decimals) return w[2] === "gwei" ? parseEther(w[1]!, "gwei") : parseEther(w[1]!);
  }
  const forms = unit === "s" ? "seconds (e.g. 30, 30s, 10m, 2h, 1d)" : unit === "wei" ? "wei (e.g. 1000000000000000, 0.001eth, 2gwei)" : "a whole number of operations";
  throw usageError("<value>", `"${raw}" is not a value of ${param}: give ${forms}`);
}

export const formatValue = (v: bigint, unit: Unit) => (unit === "wei" ? `${v} wei` : unit === "s" ? `${v} s` : `${v} ops`);

interface Resolved {
  clients: L1Clients;
  governance: Address;
  rollup: Address;
  rpc: string;
}

async function resolveL1(values: Record<string, string | boolean | undefined>, key: Hex): Promise<Resolved> {
  let rpc = typeof values.rpc === "string" ? values.rpc : process.env.CROSSMARGIN_L1_RPC;
  let rollup = addressOption("rollup", values.rollup);
  let governance = addressOption("governance", values.governance);
  if (rpc === undefined || (rollup === undefined && governance === undefined)) {
    // Ask the sequencer where its L1 is.
    const url = sequencerUrl(values.url);
    const info = await api(url, () => readClient(url).info());
    const l1 = info.l1 as (Record<string, unknown> & { rollup: Hex }) | null | undefined;
    if (!l1) throw new CliError("NO_L1", `the sequencer at ${url} runs without L1; pass --rpc and --governance (or --rollup) of the deployment`, "--rpc");
    rpc ??= String(l1.rpcUrl);
    rollup ??= info.verifyingContract.toLowerCase() as Address;
  }
  rpc = urlOption("rpc", rpc, rpc);
  let chainId: number;
  try {
    const r = await fetch(rpc, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }), signal: AbortSignal.timeout(10_000) });
    chainId = Number(((await r.json()) as { result: string }).result);
    if (!Number.isSafeInteger(chainId)) throw new Error("no chain id in the answer");
  } catch (e) {
    throw new CliError("L1_UNREACHABLE", `cannot reach the L1 RPC at ${rpc} (${(e as Error).message}); check --rpc`, "--rpc");
  }
  const clients = l1Clients(rpc, chainId, { deployer: key }, { retryCount: 1 });
  if (governance === undefined) {
    if ((await clients.public.getCode({ address: rollup! })) === undefined) throw new CliError("NO_CONTRACT", `no contract at --rollup ${rollup} on ${rpc}; check the address and the RPC`, "--rollup");
    governance = ((await clients.public.readContract({ address: rollup!, abi: rollupAbi, functionName: "governance" })) as Address).toLowerCase() as Address;
  }
  if ((await clients.public.getCode({ address: governance })) === undefined) throw new CliError("NO_CONTRACT", `no contract at --governance ${governance} on ${rpc}; check the address and the RPC`, "--governance");
  rollup ??= ((await clients.public.readContract({ address: governance, abi: governanceAbi, functionName: "rollup" })) as Address).toLowerCase() as Address;
  return { clients, governance, rollup, rpc };
}

/** Governance's setter and its arguments for `param = value`. */
function setter(spec: ParamSpec, value: bigint): { functionName: "setL1Param" | "setDisputeParam" | "setDelay"; args: readonly unknown[] } {
  if (spec.kind === "l1") return { functionName: "setL1Param", args: [spec.index, value] };
  if (spec.kind === "dispute") return { functionName: "setDisputeParam", args: [spec.index, value] };
  return { functionName: "setDelay", args: [value] };
}

/** The setter call Governance schedules for `param = value`. */
export function setterCall(spec: ParamSpec, value: bigint): Hex {
  return encodeFunctionData({ abi: governanceAbi, ...setter(spec, value) } as never);
}

async function currentAndBounds(r: Resolved, spec: ParamSpec): Promise<{ current: bigint; min: bigint; max: bigint; maxStep: bigint }> {
  const read = (address: Address, abi: typeof governanceAbi | typeof rollupAbi | typeof disputeGameAbi, functionName: string, args: unknown[] = []) =>
    r.clients.public.readContract({ address, abi, functionName, args } as never) as Promise<unknown>;
  let current: bigint;
  let b: { min: bigint; max: bigint; maxStep: bigint };
  if (spec.kind === "l1") {
    current = (await read(r.rollup, rollupAbi, L1_GETTERS[spec.index]!)) as bigint;
    b = (await read(r.governance, governanceAbi, "bounds", [spec.index])) as typeof b;
  } else if (spec.kind === "dispute") {
    const game = (await read(r.rollup, rollupAbi, "disputeGame")) as Address;
    current = (await read(game, disputeGameAbi, "paramValue", [spec.index])) as bigint;
    b = (await read(r.governance, governanceAbi, "disputeBounds", [spec.index])) as typeof b;
  } else {
    current = BigInt((await read(r.governance, governanceAbi, "delay")) as bigint | number);
    b = (await read(r.governance, governanceAbi, "delayBounds")) as typeof b;
  }
  return { current: BigInt(current), min: b.min, max: b.max, maxStep: b.maxStep };
}

const ALL_ABIS = [...governanceAbi, ...rollupAbi, ...disputeGameAbi];
/**
 * Governance's ABI with the errors of the contracts its setters call, so a revert bubbling up
 * from the Rollup or the dispute game decodes by name in a simulation.
 */
const GOVERNANCE_WITH_ERRORS = [...governanceAbi, ...rollupAbi.filter((x) => x.type === "error"), ...disputeGameAbi.filter((x) => x.type === "error")];

/** A revert as the operator's error: Governance's, or the setter's inside CallFailed. */
function revertError(e: unknown, param: string, unit: Unit, context: string): CliError {
  if (!(e instanceof BaseError)) return new CliError("L1_FAILED", `${context}: ${(e as Error).message}`);
  const reverted = e.walk((x) => x instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null;
  let name = reverted?.data?.errorName;
  let args = (reverted?.data?.args ?? []) as readonly unknown[];
  if (name === "CallFailed") {
    try {
      const inner = decodeErrorResult({ abi: ALL_ABIS, data: args[0] as Hex });
      name = inner.errorName;
      args = (inner.args ?? []) as readonly unknown[];
    } catch {
      return new CliError("CALL_FAILED", `${context}: the setter reverted with undecodable data ${String(args[0])}`);
    }
  }
  const f = (v: unknown) => formatValue(BigInt(v as bigint), unit);
  switch (name) {
    case "NotOwner":
      return new CliError("NOT_OWNER", `${context}: the key is not Governance's owner; pass the owner's key with --key or CROSSMARGIN_GOVERNANCE_KEY`, "--key");
    case "OutOfBounds":
      return new CliError("OUT_OF_BOUNDS", `${context}: ${param} ${f(args[0])} is outside ${f(args[1])} .. ${f(args[2])} (docs/contracts.md §Governance parameters)`, "<value>");
    case "StepTooLarge":
      return new CliError("STEP_TOO_LARGE", `${context}: ${param} may move by at most ${f(args[2])} per change (from ${f(args[0])} to ${f(args[1])}); change it in steps`, "<value>");
    case "DelayBelowChallengeWindow":
      return new CliError("DELAY_BELOW_CHALLENGE_WINDOW", `${context}: the timelock delay (${args[0]} s) must stay at least the challenge window (${args[1]} s); change the other one first`, "<value>");
    case "GameSpanTooLong":
      return new CliError("GAME_SPAN_TOO_LONG", `${context}: a dispute game would then last up to ${args[0]} s, more than half the ${args[1]} s challenge window (half must stay to detect a bad batch); shorten the game's clocks or lengthen the window first`, "<value>");
    case "GamesOpen":
      return new CliError("GAMES_OPEN", `${context}: ${args[0]} dispute game(s) are open; the challenge window cannot shrink until they end`, "<value>");
    case "NotReady":
      return new CliError("NOT_READY", `${context}: the proposal is not scheduled or not ready (ready at ${args[1]})`);
    default:
      return new CliError("L1_REVERTED", `${context}: reverted${name ? ` with ${name}(${args.map(String).join(", ")})` : `: ${e.shortMessage}`}`);
  }
}

const iso = (t: bigint) => new Date(Number(t) * 1000).toISOString().replace(".000Z", "Z");

function duration(secs: bigint): string {
  if (secs <= 0n) return "now";
  const d = secs / 86_400n, h = (secs % 86_400n) / 3600n, m = (secs % 3600n) / 60n, s = secs % 60n;
  return [d ? `${d}d` : "", h ? `${h}h` : "", m ? `${m}m` : "", s ? `${s}s` : ""].filter(Boolean).join(" ");
}

export async function governanceMain(argv: string[], io: CliIO): Promise<void> {
  const [action, ...rest] = argv;
  if (action === undefined || action === "--help" || action === "help") {
    io.out(`${USAGE}\n`);
    if (action === undefined) throw new CliError("MISSING_ACTION", "give an action: propose or execute", "<action>", 2);
    return;
  }
  if (action !== "propose" && action !== "execute") throw new CliError("UNKNOWN_ACTION", `unknown action "${action}": use propose or execute (crossmargin governance --help)`, "<action>", 2);
  const { values, positionals } = parseCommand(rest, OPTIONS);
  if (values.help) return void io.out(`${USAGE}\n`);
  if (positionals.length !== 2) throw new CliError("MISSING_ARGUMENT", `governance ${action} takes <param> <value>, got ${positionals.length} argument${positionals.length === 1 ? "" : "s"}`, "<param>", 2);
  const [param, rawValue] = positionals as [string, string];
  const spec = Object.hasOwn(PARAMS, param) ? PARAMS[param]! : undefined;
  if (spec === undefined) {
    const near = Object.keys(PARAMS).find((p) => p.toLowerCase() === param.toLowerCase().replace(/[-_]/g, ""));
    throw new CliError("UNKNOWN_PARAM", `unknown parameter "${param}"${near ? ` (did you mean ${near}?)` : ""}; governed parameters: ${Object.keys(PARAMS).join(", ")}`, "<param>", 2);
  }
  const value = parseValue(param, spec.unit, rawValue);
  if (action === "propose") for (const o of ["salt", "from-block", "wait", "poll-ms"]) if (values[o] !== undefined) throw usageError(`--${o}`, "only with execute");
  const salt = values.salt === undefined ? undefined : /^[0-9]+$/.test(String(values.salt)) ? BigInt(String(values.salt)) : (() => {
    throw usageError("--salt", `"${String(values.salt)}" is not a non-negative integer`);
  })();
  const fromBlock = values["from-block"] === undefined ? 0n : /^[0-9]+$/.test(String(values["from-block"])) ? BigInt(String(values["from-block"])) : (() => {
    throw usageError("--from-block", `"${String(values["from-block"])}" is not a block number`);
  })();
  const pollMs = intOption("poll-ms", values["poll-ms"], 50, 600_000) ?? 1000;
  const key = keyOption(values.key === undefined ? "CROSSMARGIN_GOVERNANCE_KEY" : "--key", typeof values.key === "string" ? values.key : process.env.CROSSMARGIN_GOVERNANCE_KEY, "CROSSMARGIN_GOVERNANCE_KEY");
  if (key === undefined) throw new CliError("MISSING_KEY", `governance ${action} signs an L1 transaction: pass the key with --key or CROSSMARGIN_GOVERNANCE_KEY${action === "propose" ? " (Governance's owner)" : " (any funded account)"}`, "--key", 2);
  const r = await resolveL1(values, key);
  const from = privateKeyToAccount(key).address;
  const call = setterCall(spec, value);
  let b: Awaited<ReturnType<typeof currentAndBounds>>;
  try {
    b = await currentAndBounds(r, spec);
  } catch (e) {
    // A contract that does not answer Governance's and the Rollup's getters is not this deployment.
    if (!(e instanceof BaseError)) throw e;
    throw new CliError("L1_FAILED", `cannot read ${param} and its bounds from Governance ${r.governance} / Rollup ${r.rollup} on ${r.rpc} (${e.shortMessage}); check --governance and --rollup`, "--governance");
  }
  if (action === "propose") return propose(io, values.json === true, r, { param, spec, value, call, from, ...b });
  return execute(io, values.json === true, r, { param, spec, value, call, from, current: b.current, salt, fromBlock, wait: values.wait === true, pollMs });
}

interface Change {
  param: string;
  spec: ParamSpec;
  value: bigint;
  call: Hex;
  from: Address;
}

async function propose(io: CliIO, json: boolean, r: Resolved, c: Change & { current: bigint; min: bigint; max: bigint; maxStep: bigint }): Promise<void> {
  const f = (v: bigint) => formatValue(v, c.spec.unit);
  // The contract checks these at execution; refused now, the owner does not wait a delay to learn it.
  if (c.value < c.min || c.value > c.max) throw new CliError("OUT_OF_BOUNDS", `${c.param} ${f(c.value)} is outside its bounds ${f(c.min)} .. ${f(c.max)} (Governance.bounds; docs/contracts.md §Governance parameters)`, "<value>", 2);
  const step = c.value > c.current ? c.value - c.current : c.current - c.value;
  if (step > c.maxStep) {
    const next = c.value > c.current ? c.current + c.maxStep : c.current - c.maxStep;
    throw new CliError("STEP_TOO_LARGE", `${c.param} may move by at most ${f(c.maxStep)} per change; it is ${f(c.current)}, so propose ${next} first and the rest in later changes`, "<value>", 2);
  }
  const owner = ((await r.clients.public.readContract({ address: r.governance, abi: governanceAbi, functionName: "owner" })) as Address).toLowerCase();
  if (owner !== c.from.toLowerCase()) throw new CliError("NOT_OWNER", `the key's address ${c.from} is not Governance's owner ${owner}: only the owner proposes; pass the owner's key with --key or CROSSMARGIN_GOVERNANCE_KEY`, "--key");
  // The setter as the timelock will call it (from Governance's own address): the checks that
  // depend on other contracts' state (the dispute game's span, the delay rule) run now.
  try {
    await r.clients.public.simulateContract({ account: r.governance, address: r.governance, abi: GOVERNANCE_WITH_ERRORS, ...setter(c.spec, c.value) } as never);
  } catch (e) {
    throw revertError(e, c.param, c.spec.unit, `${c.param} = ${c.value} would be refused at execution`);
  }
  let hash: Hex;
  try {
    const { request } = await r.clients.public.simulateContract({ account: r.clients.deployer.account, address: r.governance, abi: GOVERNANCE_WITH_ERRORS, functionName: "schedule", args: [c.call] } as never);
    hash = await r.clients.deployer.writeContract(request);
  } catch (e) {
    throw revertError(e, c.param, c.spec.unit, "schedule");
  }
  const receipt = await r.clients.public.waitForTransactionReceipt({ hash, pollingInterval: 100, timeout: 120_000 });
  if (receipt.status !== "success") throw new CliError("L1_REVERTED", `schedule transaction ${hash} reverted in block ${receipt.blockNumber}`);
  const ev = parseEventLogs({ abi: governanceAbi, logs: receipt.logs, eventName: "Scheduled" })[0];
  if (!ev) throw new CliError("L1_FAILED", `schedule transaction ${hash} emitted no Scheduled event; is ${r.governance} Governance?`);
  const { id, salt, readyAt } = ev.args as { id: Hex; salt: bigint; readyAt: bigint };
  const block = await r.clients.public.getBlock({ blockNumber: receipt.blockNumber });
  const out = {
    action: "propose",
    param: c.param,
    unit: c.spec.unit,
    current: c.current,
    value: c.value,
    id,
    salt,
    readyAt,
    eta: iso(readyAt),
    delay: readyAt - block.timestamp,
    tx: hash,
    block: receipt.blockNumber,
    governance: r.governance,
    rollup: r.rollup,
  };
  if (json) return void io.out(`${toJsonText(out)}\n`);
  io.out(
    [
      `proposed ${c.param}: ${f(c.current)} -> ${f(c.value)}`,
      `  id         ${id}`,
      `  salt       ${salt}`,
      `  ETA        ${out.eta} (L1 time, in ${duration(out.delay)})`,
      `  tx         ${hash} (block ${receipt.blockNumber})`,
      `  governance ${r.governance}`,
      `after the ETA, anyone executes it: crossmargin governance execute ${c.param} ${c.value} --rpc ${r.rpc} --governance ${r.governance} --salt ${salt}`,
      "",
    ].join("\n"),
  );
}

async function execute(io: CliIO, json: boolean, r: Resolved, c: Change & { current: bigint; salt: bigint | undefined; fromBlock: bigint; wait: boolean; pollMs: number }): Promise<void> {
  const f = (v: bigint) => formatValue(v, c.spec.unit);
  const idOf = (salt: bigint) => keccak256(encodeAbiParameters([{ type: "bytes" }, { type: "uint256" }], [c.call, salt]));
  const readyOf = (id: Hex) => r.clients.public.readContract({ address: r.governance, abi: governanceAbi, functionName: "readyAt", args: [id] }) as Promise<bigint>;
  let salt = c.salt;
  if (salt === undefined) {
    // The proposal's salt from Scheduled events of this exact call, still pending.
    const logs = await r.clients.public.getContractEvents({ address: r.governance, abi: governanceAbi, eventName: "Scheduled", fromBlock: c.fromBlock, toBlock: "latest" });
    const pending: { salt: bigint; ready: bigint }[] = [];
    for (const l of logs) {
      const a = l.args as { id: Hex; salt: bigint; call: Hex };
      if (a.call.toLowerCase() !== c.call.toLowerCase()) continue;
      const ready = await readyOf(a.id);
      if (ready !== 0n) pending.push({ salt: a.salt, ready });
    }
    pending.sort((x, y) => (x.ready < y.ready ? -1 : x.ready > y.ready ? 1 : 0));
    if (pending.length === 0) throw new CliError("NOT_SCHEDULED", `no pending proposal of ${c.param} = ${c.value} on Governance ${r.governance} (searched from block ${c.fromBlock}); propose it first: crossmargin governance propose ${c.param} ${c.value}`, "<value>");
    salt = pending[0]!.salt;
  }
  const id = idOf(salt);
  const readyAt = await readyOf(id);
  if (readyAt === 0n) throw new CliError("NOT_SCHEDULED", `${c.param} = ${c.value} with salt ${salt} is not pending on Governance ${r.governance} (never proposed, already executed or cancelled); check --salt or propose it: crossmargin governance propose ${c.param} ${c.value}`, "--salt");
  let head = (await r.clients.public.getBlock({ blockTag: "latest" })).timestamp;
  if (head < readyAt) {
    if (!c.wait) throw new CliError("NOT_READY", `${c.param} = ${c.value} is executable from ${iso(readyAt)} (L1 time), in ${duration(readyAt - head)}; rerun then, or pass --wait`, "<value>");
    const total = Number(readyAt - head);
    const bar = new ProgressBar(io, `waiting for the timelock (ETA ${iso(readyAt)})`, total);
    const start = head;
    while (head < readyAt) {
      bar.update(Number(head - start), `${duration(readyAt - head)} left`);
      await new Promise((res) => setTimeout(res, c.pollMs));
      head = (await r.clients.public.getBlock({ blockTag: "latest" })).timestamp;
    }
    bar.update(total, "ready");
  }
  let hash: Hex;
  try {
    const { request } = await r.clients.public.simulateContract({ account: r.clients.deployer.account, address: r.governance, abi: GOVERNANCE_WITH_ERRORS, functionName: "execute", args: [c.call, salt] } as never);
    hash = await r.clients.deployer.writeContract(request);
  } catch (e) {
    throw revertError(e, c.param, c.spec.unit, `execute ${c.param} = ${c.value}`);
  }
  const receipt = await r.clients.public.waitForTransactionReceipt({ hash, pollingInterval: 100, timeout: 120_000 });
  if (receipt.status !== "success") throw new CliError("L1_REVERTED", `execute transaction ${hash} reverted in block ${receipt.blockNumber}`);
  const now = await currentAndBounds(r, c.spec);
  const out = { action: "execute", param: c.param, unit: c.spec.unit, previous: c.current, value: now.current, id, salt, tx: hash, block: receipt.blockNumber, governance: r.governance, rollup: r.rollup };
  if (json) return void io.out(`${toJsonText(out)}\n`);
  io.out(
    [
      `executed ${c.param}: ${f(c.current)} -> ${f(now.current)}`,
      `  id         ${id}`,
      `  tx         ${hash} (block ${receipt.blockNumber})`,
      c.spec.kind === "l1" && c.param === "batchInterval" ? "the sequencer follows it once the block is at its confirmation depth (GET /v1/info: l1.batchIntervalMs)" : "",
      "",
    ]
      .filter((l, i, a) => l !== "" || i === a.length - 1)
      .join("\n"),
  );
}
