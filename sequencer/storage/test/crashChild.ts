/**
 * Crash-test writer (run as a child process): recovers the log, then appends random
 * operations as fast as it can, printing `seq hash` for each one only after its append
 * promise resolved (i.e. after the commit). Seals a batch and writes a snapshot now and then.
 * Usage: node --import tsx crashChild.ts <db> <seed>
 */
import { createGenesisState, stateRoot } from "../../state/index.js";
import { recover } from "../recover.js";
import { RandomOps, Rng, nextItem, sha, testGenesis } from "./helpers.js";

const [dbPath, seedArg] = process.argv.slice(2);
const { log, state } = recover(dbPath!, testGenesis(), { collectReceipts: false });
const gen = new RandomOps(new Rng(Number(seedArg)));
if (state.clock > gen.now) gen.now = state.clock;

const out = (s: string) => process.stdout.write(s); // a pipe: synchronous on Linux

async function main(): Promise<never> {
  out("ready\n");
  let last: Promise<number> = Promise.resolve(log.lastSeq());
  for (let round = 1; ; round++) {
    const per = 1 + (round % 97); // vary the group sizes
    for (let i = 0; i < per; i++) {
      const { item } = nextItem(gen, state);
      const bytes = item.bytes!;
      last = log.append(item).then((seq) => {
        out(`${seq} ${sha(bytes)}\n`);
        return seq;
      });
    }
    await new Promise((r) => setImmediate(r));
    if (round % 20 === 0) {
      const seq = await last;
      const prev = log.lastBatch();
      const from = prev ? prev.toSeq + 1 : 1;
      if (seq >= from) {
        const root = stateRoot(state);
        log.sealBatch({
          fromSeq: from,
          toSeq: seq,
          preRoot: prev ? prev.postRoot : genesisRoot,
          postRoot: root,
          l1From: prev ? prev.l1To : 0n,
          l1To: state.l1.nextIndex,
          timestamp: state.clock,
        });
      }
      if (round % 60 === 0) log.writeSnapshot(state, seq);
    }
  }
}

const genesisRoot = stateRoot(createGenesisState(testGenesis()));
void main();
