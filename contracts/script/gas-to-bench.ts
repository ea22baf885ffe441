/**
 * Runs forge's gas report on `contracts/test/GasBench.t.sol` (one successful call of each L1
 * entry point, on the real STF fixture) and merges `l1.gas_<function>` entries into
 * `bench/results/latest.json` (an array of {name, value, unit}; other entries are kept).
 *
 *   npx tsx contracts/script/gas-to-bench.ts [path/to/latest.json]
 *
 * Figures are execution gas of the call as forge reports it: without the 21,000 base cost and
 * calldata cost of a transaction (16 gas per non-zero byte; ~2.1M for a 128 KB batch).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DEFAULT_OUT = resolve(ROOT, 'bench/results/latest.json');

interface GasStats { calls: number; min: number; mean: number; median: number; max: number }
interface ContractReport { contract: string; functions: Record<string, GasStats> }
export interface BenchEntry { name: string; value: number; unit: string }

/** Which figure of which function becomes which entry. */
const PICKS: [contract: string, fn: string, stat: keyof GasStats, name: string][] = [
  ['Rollup', 'submitBatch', 'min', 'l1.gas_submitBatch'],
  ['Rollup', 'submitBatch', 'max', 'l1.gas_submitBatch_128kb'],
  ['Rollup', 'freeze', 'max', 'l1.gas_freeze'],
  ['Vault', 'deposit', 'median', 'l1.gas_deposit'],
  ['Vault', 'deposit', 'max', 'l1.gas_deposit_newAccount'],
  ['Vault', 'forceWithdraw', 'max', 'l1.gas_forceWithdraw'],
  ['Vault', 'forceClose', 'max', 'l1.gas_forceClose'],
  ['Vault', 'claimWithdrawal', 'max', 'l1.gas_claimWithdrawal'],
  ['Vault', 'proveMarket', 'max', 'l1.gas_proveMarket'],
  ['Vault', 'proveAsset', 'max', 'l1.gas_proveAsset'],
  ['Vault', 'exit', 'max', 'l1.gas_exit'],
  ['Vault', 'settle', 'max', 'l1.gas_settle'],
  ['Vault', 'payout', 'max', 'l1.gas_payout'],
];

export function gasEntries(report: ContractReport[]): BenchEntry[] {
  const out: BenchEntry[] = [];
  for (const [contract, fn, stat, name] of PICKS) {
    const c = report.find((r) => r.contract.endsWith(`:${contract}`));
    const f = c && Object.entries(c.functions).find(([sig]) => sig.startsWith(`${fn}(`));
    if (!f) throw new Error(`gas report has no ${contract}.${fn}`);
    out.push({ name, value: f[1][stat], unit: 'gas' });
  }
  return out;
}

export function merge(existing: BenchEntry[], entries: BenchEntry[]): BenchEntry[] {
  const names = new Set(entries.map((e) => e.name));
  return [...existing.filter((e) => !names.has(e.name)), ...entries];
}

function main(): void {
  const outPath = resolve(process.argv[2] ?? DEFAULT_OUT);
  const raw = execFileSync('npx', ['forge', 'test', '--gas-report', '--json', '--match-contract', 'GasBench'], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const entries = gasEntries(JSON.parse(raw) as ContractReport[]);
  const existing: BenchEntry[] = existsSync(outPath) ? (JSON.parse(readFileSync(outPath, 'utf8')) as BenchEntry[]) : [];
  mkdirSync(dirname(outPath), { recursive: true });
  writeFileSync(outPath, `${JSON.stringify(merge(existing, entries), null, 2)}\n`);
  for (const e of entries) console.log(`${e.name.padEnd(28)} ${String(e.value).padStart(10)} ${e.unit}`);
  console.log(`merged into ${outPath}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
