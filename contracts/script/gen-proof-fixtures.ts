/**
 * Cross-implementation fixture for the L1 contracts: a state built by the TypeScript STF
 * (deposits, cross trades, an oracle move, withdrawals), its root, and SSZ proofs built by
 * `@chainsafe/ssz` (sequencer/l1/proofs.ts's `StateProver`, shared with the sequencer's API and
 * the SDK's exit path) of what L1 reads: withdrawal records, account records, market prices and
 * funding indices, asset records. Also the L1 queue items that built it, and a queue-encoding
 * vector for all four L1 input kinds with the hash chain from `nextChainHash`.
 *
 * `contracts/test/ProofFixture.t.sol` replays the deposits through the Vault (so the queue's
 * chain hash must equal `state.l1.chainHash`), posts the root, and claims and exits against it;
 * `contracts/test/ts/proof-fixture.test.ts` fails while the committed JSON differs from what
 * this script builds now (run `npx tsx contracts/script/gen-proof-fixtures.ts`).
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { StateProver } from '../../sequencer/l1/proofs.js';
import { encodeOp, nextChainHash, stateRoot } from '../../sequencer/state/index.js';
import type { L1Input } from '../../sequencer/state/ops.js';
import { Driver, owner, USD } from '../../sequencer/state/test/fixtures.js';

export const PROOF_FIXTURE_PATH = fileURLToPath(new URL('../test/fixtures/l1-proofs.json', import.meta.url));

const hex = (b: Uint8Array): string => `0x${Buffer.from(b).toString('hex')}`;
const s = (x: bigint | number): string => x.toString();
const WETH = 10n ** 18n;


function must(r: { ok: boolean; reason?: string; detail?: string }, what: string): void {
  if (!r.ok) throw new Error(`${what}: ${r.reason} ${r.detail ?? ''}`);
}

const divFloor = (a: bigint, b: bigint): bigint => (a >= 0n ? a / b : -((-a + b - 1n) / b));

export function buildProofFixture() {
  const d = new Driver();
  const genesisRoot = hex(stateRoot(d.state));

  const deposits: L1Input[] = [];
  const dep = (account: number, amount: bigint, asset = 0) => {
    const op = { type: 'Deposit' as const, queueIndex: BigInt(deposits.length), account, owner: owner(account), asset, amount };
    deposits.push(op);
    must(d.apply(op), 'deposit');
  };
  dep(0, 100_000n * USD);
  dep(1, 50_000n * USD);
  dep(1, 10n * WETH, 1);
  dep(2, 1_000n * USD);
  dep(0, 2n * WETH, 1);

  // Cross positions in BTC (market 0): account 1 buys 0.5 BTC from account 0 at $60,000.
  d.now = 2_000n;
  must(d.setCross(0, 0), 'cross 0');
  must(d.setCross(1, 0), 'cross 1');
  must(d.trade(0, 1, 0, 'buy', 60_000n * USD, 50_000_000n), 'trade');
  // An isolated ETH position (market 1): account 2 sells 0.1 ETH to account 0.
  must(d.trade(0, 2, 1, 'sell', 3_000n * USD, 10_000_000n), 'trade eth');
  // BTC rises to $62,000; WETH to $3,100.
  d.now = 3_000n;
  must(d.oracle([{ id: 0, price: 62_000n * USD }, { id: 1, price: 3_050n * USD }, { kind: 1, id: 1, price: 3_100n * USD }]), 'oracle');
  // Withdrawals: account 2 takes $400, account 1 takes 1 WETH.
  d.now = 4_000n;
  const withdraw = (account: number, asset: number, amount: bigint) =>
    must(
      d.signed({ type: 'Withdraw', account, nonce: d.nextNonce(), asset, amount, signature: '0x' }),
      'withdraw',
    );
  withdraw(2, 0, 400n * USD);
  withdraw(1, 1, 1n * WETH);

  const st = d.state;
  const root = hex(stateRoot(st));
  // The proofs are the ones the sequencer's API and the SDK's exit path serve (sequencer/l1/proofs.ts).
  const prover = new StateProver(st);
  if (prover.root !== root) throw new Error('incremental root differs from ssz');

  const withdrawals = st.withdrawals.map((w, i) => ({
    index: s(i),
    account: s(w.account),
    owner: w.owner,
    asset: s(w.asset),
    amount: s(w.amount),
    proof: prover.withdrawal(i).proof,
  }));

  const markets = st.markets.map((m, i) => {
    const p = prover.market(i);
    return { id: s(i), price: s(m.oraclePrice), fundingIndex: s(m.fundingIndex), priceProof: p.priceProof, fundingProof: p.fundingProof };
  });

  const assets = st.assets.map((a, i) => ({
    id: s(i),
    decimals: s(a.decimals),
    weightPpm: s(a.weightPpm),
    oraclePrice: s(a.oraclePrice),
    oracleTimestamp: s(a.oracleTimestamp),
    proof: prover.asset(i).proof,
  }));

  const accounts = st.accounts.map((a, k) => {
    const open = a.positions.map((p, m) => ({ p, m })).filter(({ p }) => p !== null);
    // The exit rule (docs/contracts.md), computed here independently of Solidity.
    let equity = a.balances[0]!;
    for (let i = 1; i < st.assets.length; i++) {
      const asset = st.assets[i]!;
      equity += divFloor(a.balances[i]! * asset.oraclePrice, 10n ** BigInt(asset.decimals));
    }
    for (const { p, m } of open) {
      const mk = st.markets[m]!;
      const funding = -divFloor(-p!.size * (mk.fundingIndex - p!.lastFundingIndex), 100_000_000n);
      equity += p!.isolatedMargin + divFloor(p!.size * mk.oraclePrice, 100_000_000n) - p!.entryNotional - funding;
    }
    const x = prover.account(k);
    return {
      index: s(k),
      owner: a.owner,
      balances: a.balances.map(s),
      fieldRoots: x.fieldRoots,
      positionRoots: x.positionRoots,
      markets: x.markets.map(s),
      positions: x.positions.map((p) => ({
        size: s(p.size),
        entryNotional: s(p.entryNotional),
        lastFundingIndex: s(p.lastFundingIndex),
        isolatedMargin: s(p.isolatedMargin),
        marginMode: s(p.marginMode),
      })),
      proof: x.proof,
      equity: s(equity > 0n ? equity : 0n),
    };
  });

  // Queue vector: all four kinds, chained from zero with nextChainHash for the STF's kinds
  // and the documented encoding for the L1-only kinds.
  const queue: { kind: string; fields: Record<string, string>; encoded: string; chainAfter: string }[] = [];
  let chain: Uint8Array = new Uint8Array(32);
  const push = (kind: string, fields: Record<string, string>, encoded: Uint8Array, next: Uint8Array) => {
    chain = next;
    queue.push({ kind, fields, encoded: hex(encoded), chainAfter: hex(chain) });
  };
  const stfItem = (op: L1Input, fields: Record<string, string>) =>
    push(op.type, fields, encodeOp(op), nextChainHash(chain, op));
  stfItem(
    { type: 'Deposit', queueIndex: 0n, account: 0x01020304, owner: '0x00112233445566778899aabbccddeeff00112233', asset: 3, amount: (1n << 127n) - 5n },
    { queueIndex: '0', account: s(0x01020304), owner: '0x00112233445566778899aabbccddeeff00112233', asset: '3', amount: s((1n << 127n) - 5n) },
  );
  stfItem(
    { type: 'ParamUpdate', queueIndex: 1n, key: 12, target: 0x0102, value: `0x${'a5'.repeat(31)}01` },
    { queueIndex: '1', key: '12', target: s(0x0102), value: `0x${'a5'.repeat(31)}01` },
  );
  const fw = { type: 'ForcedWithdraw' as const, queueIndex: 2n, account: 7, asset: 1, amount: 123_456_789n * WETH };
  stfItem(fw, { queueIndex: '2', account: '7', asset: '1', amount: s(fw.amount) });
  const fc = { type: 'ForcedClose' as const, queueIndex: 0xfedcba9876n, account: 0xffffffff, market: 63 };
  stfItem(fc, { queueIndex: s(fc.queueIndex), account: s(fc.account), market: '63' });

  return {
    comment: 'Generated by contracts/script/gen-proof-fixtures.ts from the TypeScript STF; do not edit by hand.',
    genesisRoot,
    root,
    l1: { nextIndex: s(st.l1.nextIndex), chainHash: hex(st.l1.chainHash) },
    deposits: deposits.map((op) => {
      if (op.type !== 'Deposit') throw new Error('deposits only');
      return { queueIndex: s(op.queueIndex), account: s(op.account), owner: op.owner, asset: s(op.asset), amount: s(op.amount) };
    }),
    withdrawals,
    markets,
    assets,
    accounts,
    queue,
  };
}

export function renderProofFixture(): string {
  return `${JSON.stringify(buildProofFixture(), null, 2)}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(PROOF_FIXTURE_PATH, renderProofFixture());
  console.log(`wrote ${PROOF_FIXTURE_PATH}`);
}
