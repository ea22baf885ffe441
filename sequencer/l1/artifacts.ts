/**
 * Forge artifacts of the contracts the L1 tooling deploys and calls, read from the build
 * output directory `foundry.toml` names (`contracts/out`), built with `npx forge build` when
 * missing or older than their sources.
 *
 * Only the deployed contracts' sources are built (their imports come along): a build of the
 * whole tree would fail on any unrelated work-in-progress file and compile the tests too.
 */
import { execFileSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, utimesSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Abi } from "viem";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const OUT_DIR = join(REPO_ROOT, "contracts", "out");

/** Contract name → its source, relative to the repo root. */
export const CONTRACT_SOURCES = {
  Rollup: "contracts/src/Rollup.sol",
  Vault: "contracts/src/Vault.sol",
  Governance: "contracts/src/Governance.sol",
  DisputeGame: "contracts/src/DisputeGame.sol",
  // The one-step STF: the prover and its parts (deploy.ts ONE_STEP_PARTS), given to the game.
  OneStepProver: "contracts/src/OneStepProver.sol",
  OneStepTrading: "contracts/src/onestep/OneStepTrading.sol",
  OneStepRisk: "contracts/src/onestep/OneStepRisk.sol",
  OneStepParams: "contracts/src/onestep/OneStepParams.sol",
  MockERC20: "contracts/src/test/MockERC20.sol",
  // The on-chain-only peer measured by bench/peers (not deployed by the devnet).
  MiniMargin: "contracts/src/test/MiniMargin.sol",
} as const;
export type ContractName = keyof typeof CONTRACT_SOURCES;

export interface Artifact {
  abi: Abi;
  bytecode: `0x${string}`;
}

const artifactPath = (name: ContractName) => join(OUT_DIR, `${name}.sol`, `${name}.json`);

/**
 * Newest modification time of the deployed sources and every repository source they import
 * (relative imports, followed transitively; npm libraries are pinned by package-lock).
 */
function newestSourceMtime(): number {
  const seen = new Set<string>();
  const todo = Object.values(CONTRACT_SOURCES).map((s) => join(REPO_ROOT, s));
  let t = 0;
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    t = Math.max(t, statSync(file).mtimeMs);
    for (const m of readFileSync(file, "utf8").matchAll(/^\s*import\s[^;]*?["'](\.{1,2}\/[^"']+)["']/gm)) todo.push(join(dirname(file), m[1]!));
  }
  return t;
}

function needsBuild(): boolean {
  const srcTime = newestSourceMtime();
  return Object.keys(CONTRACT_SOURCES).some((n) => {
    const p = artifactPath(n as ContractName);
    return !existsSync(p) || statSync(p).mtimeMs < srcTime;
  });
}

/**
 * Runs `npx forge build <sources>` under a lock file (parallel test workers must not run two
 * builds into one output directory at once).
 */
export function buildContracts(): void {
  const lockDir = join(REPO_ROOT, "contracts", "cache");
  mkdirSync(lockDir, { recursive: true });
  const lock = join(lockDir, "l1-build.lock");
  const deadline = Date.now() + 300_000;
  let fd: number | null = null;
  while (fd === null) {
    try {
      fd = openSync(lock, "wx");
    } catch {
      // A lock older than 5 minutes is left over from a killed build.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 300_000) unlinkSync(lock);
      } catch {
        // it went away meanwhile
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    // Another worker may have built while we waited.
    if (!needsBuild()) return;
    execFileSync("npx", ["forge", "build", ...Object.values(CONTRACT_SOURCES)], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"], timeout: 600_000 });
    // forge leaves an artifact untouched when its cache says the source's content did not
    // change (e.g. a file was only touched); the build vouched for it, so mark it fresh.
    const now = new Date();
    for (const n of Object.keys(CONTRACT_SOURCES)) utimesSync(artifactPath(n as ContractName), now, now);
  } catch (e) {
    const err = e as { stderr?: Buffer; stdout?: Buffer; message: string };
    throw new Error(`forge build failed: ${err.stderr?.toString() || err.stdout?.toString() || err.message}`);
  } finally {
    closeSync(fd);
    unlinkSync(lock);
  }
}

let checked = false;
/** Builds the artifacts once per process if any is missing or stale. */
export function ensureArtifacts(): void {
  if (checked) return;
  if (needsBuild()) buildContracts();
  checked = true;
}

const cache = new Map<ContractName, Artifact>();

export function loadArtifact(name: ContractName): Artifact {
  const hit = cache.get(name);
  if (hit) return hit;
  ensureArtifacts();
  const j = JSON.parse(readFileSync(artifactPath(name), "utf8")) as { abi: Abi; bytecode: { object: `0x${string}`; linkReferences?: Record<string, unknown> } };
  if (j.bytecode.linkReferences && Object.keys(j.bytecode.linkReferences).length > 0) {
    throw new Error(`${name} needs linked libraries; deploy.ts does not link`);
  }
  const a = { abi: j.abi, bytecode: j.bytecode.object };
  cache.set(name, a);
  return a;
}
