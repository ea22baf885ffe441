/**
 * The ParamUpdate keys are a protocol table (sequencer/state/ops/paramUpdate.ts `PARAM_KEYS`,
 * docs/protocol.md) that two contracts restate as constants: Governance.sol, which enqueues
 * updates, and the one-step OneStepParams.sol, which executes them in a dispute. Every key
 * either contract names must carry the STF's number, and the one-step STF must name them all.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PARAM_KEYS } from '../../../sequencer/state/ops/paramUpdate.js';

const root = join(import.meta.dirname, '../../..');

/** `NAME = n` of every integer constant named like a PARAM_KEYS key in `file`. */
function keyConstants(file: string): Map<string, number> {
  const src = readFileSync(join(root, file), 'utf8');
  const out = new Map<string, number>();
  for (const m of src.matchAll(/uint\d+ internal constant ([A-Z0-9_]+) = (\d+);/g)) {
    if (m[1]! in PARAM_KEYS) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

describe('ParamUpdate keys in Solidity', () => {
  for (const file of ['contracts/src/Governance.sol', 'contracts/src/onestep/OneStepParams.sol']) {
    it(`${file}: every key it names has the STF's number`, () => {
      const found = keyConstants(file);
      expect(found.size).toBeGreaterThan(0);
      for (const [name, value] of found) expect(value, name).toBe(PARAM_KEYS[name as keyof typeof PARAM_KEYS]);
    });
  }
  it('OneStepParams.sol names every key', () => {
    expect([...keyConstants('contracts/src/onestep/OneStepParams.sol').keys()].sort()).toEqual(Object.keys(PARAM_KEYS).sort());
  });
});
