/**
 * A poster in its own process, for the kill test: opens the sequencer's SQLite file, posts
 * until stopped (SIGTERM) or killed (SIGKILL), JSON lines on stdout.
 * argv: db rpcUrl chainId rollup sequencerKey
 */
import { privateKeyToAccount } from "viem/accounts";
import { OpLog } from "../../storage/index.js";
import { l1Clients } from "../deploy.js";
import { BatchPoster } from "../poster.js";

const [db, rpcUrl, chainId, rollup, key] = process.argv.slice(2) as [string, string, string, `0x${string}`, `0x${string}`];
const log = new OpLog(db, { synchronous: "FULL" });
const account = privateKeyToAccount(key);
const clients = l1Clients(rpcUrl, Number(chainId), { deployer: account }, { timeoutMs: 5_000, retryCount: 0 });
const poster = new BatchPoster({ log, rollup, client: clients.public, account, confirmations: 2, pollMs: 10, stuckAfterMs: 2_000, logLine: (l) => process.stdout.write(`${l}\n`) });
poster.start();
process.on("SIGTERM", () => {
  void poster.stop().then(() => {
    log.close();
    process.exit(0);
  });
});
