/**
 * `crossmargin account <address|index>`: an account as the sequencer holds it now — balances
 * per asset, positions with mark, PnL and margin mode, the cross-margin figures (collateral,
 * equity, requirements, health) and open orders. Amounts are shown in their asset's units
 * (margin figures in the settlement asset, asset 0); `--json` gives the API's atoms.
 */
import { isAddress } from "viem";
import type { Account, Info } from "../../sdk/index.js";
import { api, type CliIO, CliError, formatUnits, parseCommand, readClient, sequencerUrl, table, toJsonText } from "./common.js";

export const USAGE = `usage: crossmargin account <address|index> [--url <sequencer>] [--json]

  <address|index>  the owner's address (0x…) or the account index
  --url <url>      the sequencer's API (or env CROSSMARGIN_URL; default http://127.0.0.1:9545)
  --json           one JSON object on stdout (amounts in atoms, as the API gives them)`;

/** Sizes are 1e-8 base units; prices are settlement-asset atoms per whole base unit (docs/protocol.md). */
const SIZE_DECIMALS = 8;
const abs = (x: bigint) => (x < 0n ? -x : x);

export async function accountMain(argv: string[], io: CliIO): Promise<void> {
  const { values, positionals } = parseCommand(argv, { url: { type: "string" } });
  if (values.help) return void io.out(`${USAGE}\n`);
  if (positionals.length !== 1) {
    io.err(`${USAGE}\n`);
    throw new CliError("MISSING_ARGUMENT", `account takes one address or index, got ${positionals.length}`, "<address|index>", 2);
  }
  const who = positionals[0]!;
  const byAddress = who.startsWith("0x");
  if (byAddress ? !isAddress(who, { strict: false }) : !/^[0-9]+$/.test(who) || !Number.isSafeInteger(Number(who))) {
    throw new CliError("INVALID_ARGUMENT", `"${who}" is neither an address (0x and 40 hex digits) nor an account index`, "<address|index>", 2);
  }
  const url = sequencerUrl(values.url);
  const client = readClient(url);
  const index = byAddress ? await api(url, () => client.accountByOwner(who as `0x${string}`)) : Number(who);
  const [a, info]: [Account, Info] = await Promise.all([api(url, () => client.account(index)), api(url, () => client.info())]);
  if (values.json === true) return void io.out(`${toJsonText(a)}\n`);
  const dec = (asset: number) => info.assets[asset]?.decimals ?? 0;
  const usd = (v: bigint) => formatUnits(v, dec(0));
  const m = a.margin;
  const lines = [
    `account ${a.index}  owner ${a.owner}${a.deadman !== null ? `  dead-man's switch at ${new Date(Number(a.deadman)).toISOString()}` : ""}`,
    "",
    "balances",
    table([["asset", "balance"], ...a.balances.map((b, i) => [String(i), formatUnits(b, dec(i))])].filter((r, i) => i === 0 || r[1] !== "0" || r[0] === "0")).replace(/^/gm, "  "),
    "",
    `margin (${m.portfolio ? "portfolio" : "cross"}; settlement asset units)`,
    table([
      ["collateral", usd(m.collateral)],
      ["equity", usd(m.equity)],
      ["initial requirement", usd(m.initialRequirement)],
      ["maintenance requirement", usd(m.maintenanceRequirement)],
      ["health", `${usd(m.health)}${m.liquidatable ? "  LIQUIDATABLE" : ""}`],
    ]).replace(/^/gm, "  "),
    "",
  ];
  if (a.positions.length === 0) lines.push("positions    none");
  else {
    lines.push("positions");
    lines.push(
      table([
        ["market", "size", "entry price", "mark", "unrealized PnL", "mode", "isolated margin", "isolated equity"],
        ...a.positions.map((p) => [
          String(p.market),
          formatUnits(p.size, SIZE_DECIMALS),
          // entryNotional is signed like size (negative for a short).
          p.size === 0n ? "-" : formatUnits((abs(p.entryNotional) * 10n ** BigInt(SIZE_DECIMALS)) / abs(p.size), dec(0)),
          formatUnits(p.markPrice, dec(0)),
          usd(p.unrealizedPnl),
          p.marginMode,
          p.marginMode === "isolated" ? usd(p.isolatedMargin) : "-",
          p.isolatedEquity === undefined ? "-" : usd(p.isolatedEquity),
        ]),
      ]).replace(/^/gm, "  "),
    );
  }
  lines.push("");
  if (a.orders.length === 0) lines.push("open orders  none");
  else {
    lines.push("open orders");
    lines.push(
      table([
        ["slot", "market", "side", "price", "size", "remaining", "client id"],
        ...a.orders.map((o) => [String(o.slot), String(o.market), o.side, formatUnits(o.price, dec(0)), formatUnits(o.size, SIZE_DECIMALS), formatUnits(o.remaining, SIZE_DECIMALS), String(o.clientOrderId)]),
      ]).replace(/^/gm, "  "),
    );
  }
  io.out(`${lines.join("\n")}\n`);
}
