/**
 * contracts/test/fixtures/onestep-wide-risk.json (the 64-market Liquidate and Deleverage
 * vectors OneStepRisk.t.sol `test_wide` replays) must be what
 * contracts/script/gen-onestep-risk-wide.ts builds from the STF and the witness builder now.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { OneStepVector } from '../../script/gen-onestep-fixtures.js';
import { renderWideRiskVectors, WIDE_RISK_FIXTURE_PATH } from '../../script/gen-onestep-risk-wide.js';

describe('one-step wide risk vectors (contracts/test/fixtures/onestep-wide-risk.json)', () => {
  it('are up to date: a target in all 64 markets, every liquidation and deleveraging accepted', () => {
    const committed = readFileSync(WIDE_RISK_FIXTURE_PATH, 'utf8');
    expect(committed).toBe(renderWideRiskVectors());
    const { vectors } = JSON.parse(committed) as { vectors: OneStepVector[] };
    expect(vectors.map((v) => `${v.name}: ${v.accepted === 1 ? 'accepted' : v.reason}`)).toEqual(vectors.map((v) => `${v.name}: accepted`));
  }, 120_000);
});
