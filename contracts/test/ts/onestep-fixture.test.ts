/**
 * The TypeScript half of the one-step differential test (contracts/test/OneStepProver.t.sol):
 * the committed vectors must be what contracts/script/gen-onestep-fixtures.ts builds from the
 * STF and prover/witness.ts now, so a change in either shows here before forge replays stale
 * vectors. Also checks what the Solidity side assumes of every witness: it hashes to the
 * pre-root as a multiproof (strictly descending, each node with its sibling), and the fixed
 * generalized indices of contracts/src/onestep/OneStepLayout.sol are the schema's.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeAbiParameters, type Hex } from 'viem';
import { describe, expect, it } from 'vitest';
import { fixturePath, ONESTEP_TYPES, type OneStepVector, renderVectors, renderWideVectors } from '../../script/gen-onestep-fixtures.js';
import { multiproofGindices, witnessRoot } from '../../../prover/witness.js';
import { State } from '../../../sequencer/state/types.js';

const sha = (a: Uint8Array, b: Uint8Array) => new Uint8Array(createHash('sha256').update(a).update(b).digest());

describe('one-step vectors (contracts/test/fixtures/onestep-*.json)', () => {
  for (const type of ONESTEP_TYPES) {
    it(`${type}: up to date with the STF and the witness builder (run contracts/script/gen-onestep-fixtures.ts)`, () => {
      const committed = readFileSync(fixturePath(type), 'utf8');
      expect(committed).toBe(renderVectors(type));
      const { vectors } = JSON.parse(committed) as { vectors: OneStepVector[] };
      expect(vectors.some((v) => v.accepted === 1), 'an accepted vector').toBe(true);
      expect(vectors.some((v) => v.accepted === 0), 'a refused vector').toBe(true);
      for (const v of vectors) {
        const [gindices, nodes] = decodeAbiParameters([{ type: 'uint256[]' }, { type: 'bytes32[]' }], v.witness as Hex);
        for (let i = 1; i < gindices.length; i++) expect(gindices[i]! < gindices[i - 1]!, v.name).toBe(true);
        expect(witnessRoot({ gindices: [...gindices], nodes: [...nodes] }, sha), v.name).toBe(v.preRoot);
      }
    }, 120_000);
  }
});

describe('one-step wide vectors (contracts/test/fixtures/onestep-wide.json)', () => {
  it('are up to date: positions in all 64 markets, every operation accepted', () => {
    const committed = readFileSync(fixturePath('wide'), 'utf8');
    expect(committed).toBe(renderWideVectors());
    const { vectors } = JSON.parse(committed) as { vectors: OneStepVector[] };
    expect(vectors.map((v) => v.accepted)).toEqual(vectors.map(() => 1));
  }, 120_000);
});

describe('multiproofGindices', () => {
  it('drops nodes below which something is asked for, adds the siblings, sorts descending', () => {
    // 8 and 9 are siblings; 5 has a child (10) asked for, so only 10 and its sibling 11 stay.
    expect(multiproofGindices([8n, 9n, 5n, 10n])).toEqual([11n, 10n, 9n, 8n, 3n]);
    expect(multiproofGindices([1n])).toEqual([1n]);
  });
});

describe('OneStepLayout.sol', () => {
  const sol = readFileSync(join(__dirname, '../../src/onestep/OneStepLayout.sol'), 'utf8');
  const constant = (name: string) => BigInt(new RegExp(`constant ${name} = (\\d+);`).exec(sol)![1]!);

  it('has the fixed generalized indices of the schema', () => {
    expect(constant('CLOCK')).toBe(State.getPathInfo(['clock']).gindex);
    expect(constant('PARAMS_NONCE_WINDOW')).toBe(State.getPathInfo(['params', 'nonceWindowMs']).gindex);
  });
});
