/**
 * `crossmargin margin what-if`: one portfolio's margin under isolated, cross and portfolio
 * margin side by side (POST /v1/margin/what-if, sequencer/state/whatIf.ts): an existing
 * account as it stands, or a hypothetical one given as collateral and positions. Shows what
 * opting in to cross or portfolio margin would free.
 */
import { parseArgs } from "node:util";
import { isAddress } from "viem";
import type { Info, WhatIf } from "../../sdk/index.js";
import { api, type CliIO, CliError, formatUnits, readClient, sequencerUrl, table, toJsonText } from "./common.js";

export const USAGE = `usage: crossmargin margin what-if [<address|index>] [--collateral <amount>] [--position <market>:<size>[@<price>]]... [--url <sequencer>] [--json]

  <address|index>           an existing account, as it stands (its isolated margin pooled back as cash)
  --collateral <amount>     a hypothetical portfolio's settlement collateral, in whole units (e.g. 25000.5)
  --position <m>:<size>[@<price>]
                            a hypothetical position: market id, signed size in base units (e.g. -0.5),
                            optional entry price (default: the current mark); repeat per market
  --url <url>               the sequencer's API (or env CROSSMARGIN_URL; default http://127.0.0.1:9545)
  --json                    one JSON object on stdout (atoms, as the API gives them)`;

const SIZE_DECIMALS = 8;

/** A decimal string ("-0.5", "25000") as atoms with `decimals`; null when malformed or too precise. */
function toAtoms(s: string, decimals: number): bigint | null {
  const m = /^(-?)([0-9]+)(?:\.([0-9]+))?$/.exec(s);
  if (!m || (m[3]?.length ?? 0) > decimals) return null;
  const v = BigInt(m[2]!) * 10n ** BigInt(decimals) + BigInt((m[3] ?? "").padEnd(decimals, "0") || "0");
  return m[1] ? -v : v;
}

export async function marginMain(argv: string[], io: CliIO): Promise<void> {
  let values: Record<string, string | boolean | string[] | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: { url: { type: "string" }, collateral: { type: "string" }, position: { type: "string", multiple: true }, json: { type: "boolean" }, help: { type: "boolean" } },
    }));
  } catch (e) {
    throw new CliError("INVALID_OPTION", (e as Error).message, null, 2);
  }
  if (values.help) return void io.out(`${USAGE}\n`);
  const [sub, who, ...extra] = positionals;
  if (sub !== "what-if" || extra.length > 0) {
    io.err(`${USAGE}\n`);
    throw new CliError("MISSING_ARGUMENT", sub === undefined ? "margin takes a subcommand: what-if" : `unknown margin subcommand or extra arguments: ${positionals.join(" ")}`, "what-if", 2);
  }
  const positions = (values.position as string[] | undefined) ?? [];
  const hypothetical = values.collateral !== undefined || positions.length > 0;
  if ((who === undefined) === !hypothetical) {
    throw new CliError("INVALID_ARGUMENT", who === undefined ? "give an account (<address|index>) or a hypothetical portfolio (--collateral, --position)" : "give an account or --collateral/--position, not both", "<address|index>", 2);
  }
  const url = sequencerUrl(values.url as string | undefined);
  const client = readClient(url);
  const info: Info = await api(url, () => client.info());
  const usdDecimals = info.assets[0]?.decimals ?? 6;
  let result: WhatIf;
  if (who !== undefined) {
    const byAddress = who.startsWith("0x");
    if (byAddress ? !isAddress(who, { strict: false }) : !/^[0-9]+$/.test(who) || !Number.isSafeInteger(Number(who))) {
      throw new CliError("INVALID_ARGUMENT", `"${who}" is neither an address (0x and 40 hex digits) nor an account index`, "<address|index>", 2);
    }
    const index = byAddress ? await api(url, () => client.accountByOwner(who as `0x${string}`)) : Number(who);
    result = await api(url, () => client.whatIfMargin({ account: index }));
  } else {
    const collateral = values.collateral === undefined ? 0n : toAtoms(values.collateral as string, usdDecimals);
    if (collateral === null || collateral < 0n) throw new CliError("INVALID_OPTION", `--collateral: "${values.collateral}" is not a non-negative amount with at most ${usdDecimals} decimals`, "--collateral", 2);
    const parsed = positions.map((p) => {
      const m = /^([0-9]{1,5}):(-?[0-9.]+)(?:@([0-9.]+))?$/.exec(p);
      const size = m ? toAtoms(m[2]!, SIZE_DECIMALS) : null;
      const entryPrice = m?.[3] === undefined ? undefined : toAtoms(m[3], usdDecimals);
      if (!m || size === null || entryPrice === null) throw new CliError("INVALID_OPTION", `--position: "${p}" is not <market>:<size>[@<price>] (e.g. 0:-0.5@60000)`, "--position", 2);
      return { market: Number(m[1]), size, ...(entryPrice === undefined ? {} : { entryPrice }) };
    });
    result = await api(url, () => client.whatIfMargin({ collateral: [collateral], positions: parsed }));
  }
  if (values.json === true) return void io.out(`${toJsonText(result)}\n`);
  const usd = (v: bigint) => formatUnits(v, usdDecimals);
  const lines = [
    `collateral ${usd(result.collateralValue)}  unrealized PnL ${usd(result.unrealizedPnl)}  (settlement asset units)`,
    "",
    table([
      ["market", "size", "notional", "unrealized PnL", "initial", "maintenance"],
      ...result.positions.map((p) => [String(p.market), formatUnits(p.size, SIZE_DECIMALS), usd(p.notional), usd(p.upnl), usd(p.initial), usd(p.maintenance)]),
    ]).replace(/^/gm, "  "),
    "",
    table([
      ["margin mode", "initial requirement", "maintenance requirement", "excess for new risk"],
      ...(["isolated", "cross", "portfolio"] as const).map((k) => [k, usd(result[k].initial), usd(result[k].maintenance), usd(result[k].excess)]),
    ]).replace(/^/gm, "  "),
    "",
    `opting in frees, over isolated: cross ${usd(result.freedByCross)}, portfolio ${usd(result.freedByPortfolio)}`,
  ];
  io.out(`${lines.join("\n")}\n`);
}
