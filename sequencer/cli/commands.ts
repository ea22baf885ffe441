/**
 * The operator commands' names and usage, apart from their code: sequencer/cli.ts imports
 * this at start, and the commands (SDK, viem) load only when one of them runs.
 */
export const OPERATOR_COMMANDS = ["devnet", "verifier", "batch", "account", "margin", "reserves", "governance"] as const;

export const USAGE = `Operator commands:
  crossmargin devnet [--demo]                      anvil + contracts + sequencer + verifier (what npm start runs)
  crossmargin verifier --rpc … --rollup …          the verifier (crossmargin-verifier; --help for its options)
  crossmargin batch show <n>                       a sealed batch: roots, ops, L1 status and challenge window
  crossmargin account <address|index>              balances, positions, margin, equity
  crossmargin margin what-if <address|index>       requirements under isolated, cross and portfolio margin side by side
    (or --collateral <amount> --position <market>:<size>[@<price>]…)  for a hypothetical portfolio
  crossmargin reserves [--batch n] [--verify]      proof of reserves; --verify checks it against L1 with the SDK
  crossmargin governance propose|execute <param> <value>
                                                   timelocked parameter changes through Governance
  Each takes --help; batch, account, margin, reserves and governance take --json.`;
