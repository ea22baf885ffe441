/**
 * Catch-up progress on stderr: a bar redrawn in place on a TTY, plain lines otherwise (at
 * most one per `intervalMs`, plus the last).
 */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(s: string): unknown;
}

export class Progress {
  private lastLine = 0;
  private readonly t0 = performance.now();
  private ops = 0;

  constructor(
    private readonly stream: ProgressStream,
    private readonly from: number,
    private readonly to: number,
    private readonly intervalMs = 1000,
  ) {}

  /** Batch `index` (from..to) is done, with `ops` operations replayed. */
  update(index: number, ops: number): void {
    this.ops += ops;
    const done = index - this.from + 1;
    const total = this.to - this.from + 1;
    const last = index >= this.to;
    const secs = (performance.now() - this.t0) / 1000;
    const rate = secs > 0 ? Math.round(this.ops / secs) : 0;
    const pct = Math.floor((100 * done) / total);
    const text = `batch ${index} (${done}/${total}) ${pct}% ${rate} ops/s`;
    if (this.stream.isTTY) {
      const width = 30;
      const fill = Math.round((width * done) / total);
      this.stream.write(`\rverifier [${"#".repeat(fill)}${".".repeat(width - fill)}] ${text}${last ? "\n" : ""}`);
      return;
    }
    const now = performance.now();
    if (last || now - this.lastLine >= this.intervalMs) {
      this.lastLine = now;
      this.stream.write(`verifier: catching up: ${text}\n`);
    }
  }
}
