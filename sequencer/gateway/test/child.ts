/**
 * `crossmargin gateway` as a child process: `node --import tsx sequencer/cli.ts gateway …`
 * (one process, so SIGKILL hits the gateway itself), its JSON "started" line read from stdout.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const CLI = fileURLToPath(new URL("../../cli.ts", import.meta.url));

type Exit = { code: number | null; signal: NodeJS.Signals | null };

export class GatewayChild {
  private exit: Exit | null = null;
  readonly exited: Promise<Exit>;

  private constructor(
    readonly proc: ChildProcess,
    readonly url: string,
    exited: Promise<Exit>,
    private readonly outputs: () => { stdout: string; stderr: string },
  ) {
    this.exited = exited.then((e) => (this.exit = e));
  }

  get alive(): boolean {
    return this.exit === null;
  }
  get stdout(): string {
    return this.outputs().stdout;
  }
  get stderr(): string {
    return this.outputs().stderr;
  }

  /** Spawns `crossmargin gateway <args>` and resolves once it printed its "started" line. */
  static start(args: string[], timeoutMs = 30_000): Promise<GatewayChild> {
    const proc = spawn(process.execPath, ["--import", "tsx", CLI, "gateway", ...args], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    proc.stderr!.setEncoding("utf8");
    proc.stderr!.on("data", (d: string) => (err += d));
    const exited = new Promise<Exit>((resolve) => proc.once("exit", (code, signal) => resolve({ code, signal })));
    return new Promise<GatewayChild>((resolve, reject) => {
      let done = false;
      const fail = (why: string) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        proc.kill("SIGKILL");
        reject(new Error(`gateway child ${why}\nstdout: ${out}\nstderr: ${err}`));
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
        let line: { event?: string; url?: string };
        try {
          line = JSON.parse(out.slice(0, nl)) as typeof line;
        } catch {
          return fail(`printed a first line that is not JSON: ${out.slice(0, nl)}`);
        }
        if (line.event !== "started" || typeof line.url !== "string") return fail(`printed ${out.slice(0, nl)} instead of "started"`);
        done = true;
        clearTimeout(timer);
        resolve(new GatewayChild(proc, line.url, exited, () => ({ stdout: out, stderr: err })));
      });
    });
  }

  /** Runs the CLI to its exit (for option errors): exit code and output. */
  static run(args: string[], timeoutMs = 30_000): Promise<Exit & { stdout: string; stderr: string }> {
    const proc = spawn(process.execPath, ["--import", "tsx", CLI, "gateway", ...args], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    proc.stdout!.on("data", (d) => (stdout += d));
    proc.stderr!.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
    return new Promise((resolve) =>
      proc.once("exit", (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout, stderr });
      }),
    );
  }

  /** Sends `signal` and waits until the process is gone. */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<Exit> {
    if (this.exit === null) this.proc.kill(signal);
    return this.exited;
  }
}

/** Polls `f` every 20 ms until true, for at most `ms`. */
export async function until(f: () => boolean | Promise<boolean>, ms = 10_000, what = "a condition"): Promise<void> {
  const t = Date.now();
  while (!(await f())) {
    if (Date.now() - t > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The sequencer's Prometheus counters summed by name, filtered by label text (e.g. `route="/v1/op"`). */
export async function scrape(url: string): Promise<(name: string, labels?: string) => number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return (name, labels = "") => {
    let sum = 0;
    for (const line of text.split("\n")) {
      if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
      if (labels !== "" && !line.includes(labels)) continue;
      sum += Number(line.slice(line.lastIndexOf(" ") + 1));
    }
    return sum;
  };
}
