/**
 * `crossmargin reserves [--batch n] [--verify]`: the proof-of-reserves report of an L1 batch
 * (default: the latest final one) — what the state owes per asset against what the Vault
 * holds. `--verify` re-reads every L1 figure with the SDK's `verifyReserves` (L1 RPC from
 * `--rpc`, else the sequencer's) and fails, listing each mismatch, when the API's report
 * does not hold.
 */
import { createPublicClient, http } from "viem";
import { type Reserves, VerificationError, verifyReserves } from "../../sdk/index.js";
import { api, type CliIO, CliError, formatUnits, intOption, parseCommand, readClient, sequencerUrl, table, toJsonText, urlOption } from "./common.js";

export const USAGE = `usage: crossmargin reserves [--batch <n>] [--verify] [--url <sequencer>] [--json]

  --batch <n>         L1 batch index (default: the latest final batch)
  --verify            check the report against L1 with the SDK (verifyReserves): the Vault's
                      balances, claimed withdrawals, pending deposits and the stored root
  --rpc <url>         --verify: the L1 RPC (or env CROSSMARGIN_L1_RPC; default: the sequencer's)
  --from-block <n>    --verify: the deployment's first block (scan start for Vault events; default 0)
  --url <url>         the sequencer's API (or env CROSSMARGIN_URL; default http://127.0.0.1:9545)
  --json              one JSON object on stdout (atoms)`;

export async function reservesMain(argv: string[], io: CliIO): Promise<void> {
  const { values, positionals } = parseCommand(argv, { url: { type: "string" }, batch: { type: "string" }, verify: { type: "boolean" }, rpc: { type: "string" }, "from-block": { type: "string" } });
  if (values.help) return void io.out(`${USAGE}\n`);
  if (positionals.length > 0) throw new CliError("UNEXPECTED_ARGUMENT", `reserves takes no arguments (got "${positionals[0]}"); the batch goes in --batch <n>`, "--batch", 2);
  const batch = intOption("batch", values.batch, 1, Number.MAX_SAFE_INTEGER);
  if (!values.verify) for (const o of ["rpc", "from-block"]) if (values[o] !== undefined) throw new CliError("INVALID_OPTION", `--${o}: only with --verify`, `--${o}`, 2);
  const fromBlock = values["from-block"] === undefined ? 0n : /^[0-9]+$/.test(String(values["from-block"])) ? BigInt(String(values["from-block"])) : null;
  if (fromBlock === null) throw new CliError("INVALID_OPTION", `--from-block: "${String(values["from-block"])}" is not a block number`, "--from-block", 2);
  const url = sequencerUrl(values.url);
  const client = readClient(url);
  const report: Reserves = await api(url, () => client.reserves(batch));
  const info = await api(url, () => client.info());
  let verified: { ok: true } | { ok: false; problems: string[] } | null = null;
  if (values.verify === true) {
    const rawRpc = values.rpc ?? process.env.CROSSMARGIN_L1_RPC ?? (info.l1 as Record<string, unknown> | null | undefined)?.rpcUrl;
    if (typeof rawRpc !== "string") throw new CliError("NO_L1", "--verify reads L1: pass its RPC with --rpc or CROSSMARGIN_L1_RPC", "--rpc", 2);
    const rpc = urlOption("rpc", rawRpc, rawRpc);
    const publicClient = createPublicClient({ transport: http(rpc, { retryCount: 1, timeout: 15_000 }) });
    try {
      await verifyReserves(report, { publicClient, rollup: info.verifyingContract, fromBlock });
      verified = { ok: true };
    } catch (e) {
      if (!(e instanceof VerificationError)) throw new CliError("L1_UNAVAILABLE", `cannot verify against L1 at ${rpc}: ${(e as Error).message.split("\n")[0]}; check --rpc`, "--rpc");
      verified = { ok: false, problems: e.problems };
    }
  }
  const mismatch =
    verified && !verified.ok
      ? new CliError("RESERVES_MISMATCH", `the sequencer's reserves report for L1 batch ${report.batch} does not match L1 (${verified.problems.length} problem${verified.problems.length === 1 ? "" : "s"} ${values.json === true ? "in verified.problems" : "above"})`, null, 1, values.json === true)
      : null;
  // One JSON object either way: a failed verification is the report with `verified` and `error`.
  if (values.json === true) io.out(`${toJsonText({ ...report, ...(verified ? { verified } : {}), ...(mismatch ? { error: { code: mismatch.code, message: mismatch.message, field: null } } : {}) })}\n`);
  else {
    const dec = (asset: number) => info.assets[asset]?.decimals ?? 0;
    const lines = [
      `reserves at L1 batch ${report.batch}${report.finalized ? " (final)" : " (not final yet)"}: ${report.covered ? "COVERED" : "NOT COVERED"}`,
      `  root        ${report.root}`,
      `  L1 block    ${report.l1Block} (every L1 figure is read there)`,
      `  vault       ${report.vault}`,
      "",
      table([
        ["asset", "token", "owed", "pending deposits", "vault balance", "surplus"],
        ...report.assets.map((a) => [String(a.asset), a.token, formatUnits(a.owed, dec(a.asset)), formatUnits(a.pendingDeposits, dec(a.asset)), formatUnits(a.vaultBalance, dec(a.asset)), formatUnits(a.surplus, dec(a.asset))]),
      ]),
    ];
    if (verified?.ok) lines.push("", "verified against L1: every figure and the root hold (SDK verifyReserves)");
    else if (verified) lines.push("", "VERIFICATION FAILED against L1:", ...verified.problems.map((p) => `  ${p}`));
    io.out(`${lines.join("\n")}\n`);
  }
  if (mismatch) throw mismatch;
}
