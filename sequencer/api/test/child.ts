/**
 * The real sequencer CLI as a child process, for tests that kill it: `node --import tsx
 * sequencer/cli.ts sequencer …` (one process, so SIGKILL hits the sequencer itself; npx/tsx
 * would leave a grandchild running), its JSON "started" line read from stdout.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { GenesisConfig } from "../../state/index.js";
import { toJson } from "../schema.js";

export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const CLI = fileURLToPath(new URL("../../cli.ts", import.meta.url));

/** The CLI's first stdout line. */
export interface StartedLine {
  event: "started";
  url: string;
  db: string;
  replayed: number;
  seq: number;
  root: string;
  startMs: number;
  /** Seq of the snapshot the restart started from (0: genesis). */
  snapshotSeq?: number;
}

/** Writes `genesis` as the CLI's --genesis JSON (config.ts GenesisSchema: bigints as strings). */
export function writeGenesisFile(path: string, genesis: GenesisConfig): string {
  writeFileSync(path, JSON.stringify(toJson(genesis), null, 2));
  return path;
}

export class SequencerChild {
  private exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    readonly proc: ChildProcess,
    readonly started: StartedLine,
    /** Spawn to "started" line, ms (process start, tsx, recovery, listen). */
    readonly spawnMs: number,
    exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>,
    private readonly stderrOf: () => string,
  ) {
    this.exited = exited.then((e) => (this.exit = e));
  }

  get url(): string {
    return this.started.url;
  }
  get alive(): boolean {
    return this.exit === null;
  }
  /** What the child wrote to stderr so far. */
  get errors(): string {
    return this.stderrOf();
  }

  /** Spawns the CLI with `args` after `sequencer` and resolves once it printed "started". */
  static start(args: string[], timeoutMs = 30_000): Promise<SequencerChild> {
    const t0 = performance.now();
    const proc = spawn(process.execPath, ["--import", "tsx", CLI, "sequencer", ...args], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    proc.stderr!.setEncoding("utf8");
    proc.stderr!.on("data", (d: string) => (err += d));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once("exit", (code, signal) => resolve({ code, signal })));
    return new Promise<SequencerChild>((resolve, reject) => {
      let done = false;
      const fail = (why: string) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        proc.kill("SIGKILL");
        reject(new Error(`sequencer child ${why}\nstdout: ${out}\nstderr: ${err}`));
      };
      const timer = setTimeout(() => fail(`printed no "started" line within ${timeoutMs} ms`), timeoutMs);
      proc.once("error", (e) => fail(`failed to spawn: ${e.message}`));
      void exited.then(({ code, signal }) => fail(`exited (code ${code}, signal ${signal}) before starting`));
      proc.stdout!.setEncoding("utf8");
      proc.stdout!.on("data", (d: string) => {
        out += d;
        if (done) return;
        const nl = out.indexOf("\n");
        if (nl < 0) return;
        let line: StartedLine;
        try {
          line = JSON.parse(out.slice(0, nl)) as StartedLine;
        } catch {
          return fail(`printed a first line that is not JSON: ${out.slice(0, nl)}`);
        }
        if (line.event !== "started") return fail(`printed ${out.slice(0, nl)} instead of "started"`);
        done = true;
        clearTimeout(timer);
        resolve(new SequencerChild(proc, line, performance.now() - t0, exited, () => err));
      });
    });
  }

  /** SIGKILL, and wait until the process is gone. Returns how it ended. */
  async kill(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.exit === null) this.proc.kill("SIGKILL");
    return this.exited;
  }
}
