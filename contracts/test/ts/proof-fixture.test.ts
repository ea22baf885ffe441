/**
 * The TypeScript half of the cross-implementation test (contracts/test/ProofFixture.t.sol):
 * the committed fixture must be what gen-proof-fixtures.ts builds from the STF now, so a
 * change in the STF's layout or arithmetic that L1 reads is caught here first.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildProofFixture, PROOF_FIXTURE_PATH, renderProofFixture } from '../../script/gen-proof-fixtures.js';

describe('L1 proof fixture (contracts/test/fixtures/l1-proofs.json)', () => {
  it('is up to date with the STF (run contracts/script/gen-proof-fixtures.ts)', () => {
    expect(readFileSync(PROOF_FIXTURE_PATH, 'utf8')).toBe(renderProofFixture());
  });

  it('has the queue chain of the state equal to the chain over its deposits', () => {
    const f = buildProofFixture();
    expect(f.deposits).toHaveLength(Number(f.l1.nextIndex));
    expect(f.withdrawals.length).toBeGreaterThan(0);
    expect(f.accounts.some((a) => a.markets.length > 0)).toBe(true);
  });
});
