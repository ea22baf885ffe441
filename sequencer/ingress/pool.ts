/**
 * A pool of worker threads running the signature pre-pass (EIP-712 digest + native
 * recovery) in parallel. Operations travel as their canonical bytes (codec.ts), so a worker
 * sees exactly what the batch will hold. Results come back in submission order.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { encodeOp } from "../state/codec.js";
import type { Op, SigningDomain } from "../state/index.js";
import type { Recovered } from "../state/stf.js";

interface Pending {
  resolve: (r: Recovered[]) => void;
  reject: (e: unknown) => void;
}

export class SignaturePool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private turn = 0;

  constructor(
    domain: SigningDomain,
    readonly size = Math.max(1, availableParallelism()),
  ) {
    const url = new URL("./worker.ts", import.meta.url);
    for (let i = 0; i < size; i++) {
      // The worker is TypeScript: a small bootstrap registers tsx's loader in the thread, then
      // imports it (the project has no build step; vitest and tsx run the sources).
      const boot = `import("tsx/esm/api").then((t) => { t.register(); return import(${JSON.stringify(url.href)}); })`;
      const w = new Worker(boot, {
        eval: true,
        workerData: { chainId: domain.chainId.toString(), verifyingContract: domain.verifyingContract },
      });
      w.on("message", (m: { id: number; results?: Recovered[]; error?: string }) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (this.pending.size === 0) for (const x of this.workers) x.unref();
        if (m.error !== undefined) p.reject(new Error(m.error));
        else p.resolve(m.results!);
      });
      w.on("error", (e) => {
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
      });
      // Idle workers must not keep the process alive; busy ones must (see recover()).
      w.unref();
      this.workers.push(w);
    }
  }

  /** Recovers the signers of `ops`, spread over the workers in contiguous chunks. */
  recover(ops: Op[]): Promise<Recovered[]> {
    return this.recoverEncoded(ops.map(encodeOp));
  }

  /**
   * Same, from the operations' canonical bytes (the caller keeps them for the op log). Each
   * chunk travels as one transferred buffer plus offsets: no per-op structured clone.
   */
  async recoverEncoded(encoded: Uint8Array[]): Promise<Recovered[]> {
    if (encoded.length === 0) return [];
    for (const x of this.workers) x.ref();
    const chunks = Math.min(this.workers.length, Math.ceil(encoded.length / 16));
    const per = Math.ceil(encoded.length / chunks);
    const parts: Promise<Recovered[]>[] = [];
    for (let c = 0; c < chunks; c++) {
      const slice = encoded.slice(c * per, (c + 1) * per);
      const ends = new Uint32Array(slice.length);
      let total = 0;
      for (let i = 0; i < slice.length; i++) ends[i] = total += slice[i]!.length;
      const packed = new Uint8Array(total);
      for (let i = 0, at = 0; i < slice.length; at = ends[i++]!) packed.set(slice[i]!, at);
      const id = this.nextId++;
      const worker = this.workers[this.turn++ % this.workers.length]!;
      parts.push(
        new Promise<Recovered[]>((resolve, reject) => {
          this.pending.set(id, { resolve, reject });
          worker.postMessage({ id, packed, ends }, [packed.buffer, ends.buffer]);
        }),
      );
    }
    return (await Promise.all(parts)).flat();
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
