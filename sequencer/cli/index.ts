/**
 * The operator commands of `crossmargin` (bin/crossmargin → sequencer/cli.ts dispatches here):
 * `devnet`, `verifier`, `batch show`, `account`, `margin what-if`, `reserves`, `governance propose|execute`.
 * Each command writes its result to stdout (text, or one JSON object with `--json`) and
 * returns an exit code: 0 done, 1 failed (the message says why and what to do), 2 the command
 * line is wrong. With `--json` an error is also a JSON object on stdout
 * (`{ "error": { code, message, field } }`), so scripts read one stream.
 */
import { type CliIO, CliError, processIO, toJsonText } from "./common.js";

export { OPERATOR_COMMANDS, USAGE } from "./commands.js";

type Command = (argv: string[], io: CliIO) => Promise<void>;

async function load(command: string): Promise<Command> {
  switch (command) {
    case "batch":
      return (await import("./batch.js")).batchMain;
    case "account":
      return (await import("./account.js")).accountMain;
    case "reserves":
      return (await import("./reserves.js")).reservesMain;
    case "governance":
      return (await import("./governance.js")).governanceMain;
    case "margin":
      return (await import("./margin.js")).marginMain;
    default:
      throw new Error(`not an operator command: ${command}`);
  }
}

/** Runs one operator command; returns the process exit code. */
export async function operatorMain(command: string, argv: string[], io: CliIO = processIO): Promise<number> {
  if (command === "verifier") {
    const { main } = await import("../../prover/cli.js");
    return main(argv);
  }
  if (command === "devnet") {
    // devnet-start.ts is `npm start`'s script: it runs on import and reads process.argv from
    // index 2, so the command's own name is taken out of the way first.
    process.argv = [process.argv[0]!, process.argv[1]!, ...argv];
    await import("../devnet-start.js");
    // It keeps running (timers, anvil) until Ctrl-C; its signal handlers exit the process.
    return await new Promise<number>(() => {});
  }
  const json = argv.includes("--json");
  try {
    await (await load(command))(argv, io);
    return 0;
  } catch (e) {
    if (!(e instanceof CliError)) {
      const msg = (e as Error).message ?? String(e);
      if (json) io.out(`${toJsonText({ error: { code: "INTERNAL", message: msg, field: null } })}\n`);
      io.err(`crossmargin ${command}: ${msg}\n`);
      return 1;
    }
    if (json && !e.jsonWritten) io.out(`${toJsonText({ error: { code: e.code, message: e.message, field: e.field } })}\n`);
    io.err(`crossmargin ${command}: ${e.message}${e.exit === 2 ? `\n(crossmargin ${command} --help shows the usage)` : ""}\n`);
    return e.exit;
  }
}
