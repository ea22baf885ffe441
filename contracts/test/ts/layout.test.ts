/**
 * The generated Solidity layout (contracts/src/lib/StateLayout.sol) must be what
 * contracts/script/gen-layout.ts builds from the current SSZ schema: when the STF's `State`,
 * `Account`, `Position`, `Market`, `CollateralAsset` or `Withdrawal` grow, this fails until the
 * file is regenerated (`npx tsx contracts/script/gen-layout.ts`).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LAYOUT_PATH, layoutConstants, renderLayout } from '../../script/gen-layout.js';
import { State } from '../../../sequencer/state/types.js';

describe('StateLayout.sol', () => {
  it('is up to date with sequencer/state/types.ts (run contracts/script/gen-layout.ts)', () => {
    expect(readFileSync(LAYOUT_PATH, 'utf8')).toBe(renderLayout());
  });

  it('puts list element i at FIRST_GINDEX + i with a branch of PROOF_DEPTH siblings', () => {
    const k = Object.fromEntries(layoutConstants().map((c) => [c.name, BigInt(c.value)]));
    for (const [name, field] of [['ACCOUNTS', 'accounts'], ['WITHDRAWALS', 'withdrawals'], ['MARKETS', 'markets'], ['ASSETS', 'assets']] as const) {
      const g = State.getPathInfo([field, 3]).gindex;
      expect(g, name).toBe(k[`${name}_FIRST_GINDEX`]! + 3n);
      expect(g >> k[`${name}_PROOF_DEPTH`]!, name).toBe(1n);
    }
  });
});
