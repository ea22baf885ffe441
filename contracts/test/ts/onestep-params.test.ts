/**
 * ParamUpdate one-step vectors (contracts/test/OneStepParams.t.sol replays them): the sweep file
 * is up to date, hashes to its pre-roots, and together with the standard file reaches every key
 * with accepted and refused values and every refusal reason the op can meet; and the witness
 * rule for a list append (prover/witness.ts) holds for a listed market and asset.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { decodeAbiParameters, type Hex } from 'viem';
import { describe, expect, it } from 'vitest';
import { fixturePath, type OneStepVector } from '../../script/gen-onestep-fixtures.js';
import { PARAMS_SWEEP_PATH, renderParamsSweep } from '../../script/gen-onestep-params-sweep.js';
import { applyWithWitness, witnessRoot } from '../../../prover/witness.js';
import { decodeSequencedOp } from '../../../sequencer/state/codec.js';
import { createGenesisState } from '../../../sequencer/state/genesis.js';
import type { Op } from '../../../sequencer/state/ops.js';
import { PARAM_KEYS } from '../../../sequencer/state/ops/paramUpdate.js';
import { testGenesis } from '../../../sequencer/state/test/fixtures.js';
import { State } from '../../../sequencer/state/types.js';

const sha = (a: Uint8Array, b: Uint8Array) => new Uint8Array(createHash('sha256').update(a).update(b).digest());
const load = (path: string) => (JSON.parse(readFileSync(path, 'utf8')) as { vectors: OneStepVector[] }).vectors;
const opOf = (v: OneStepVector) => decodeSequencedOp(Buffer.from(v.opBytes.slice(2), 'hex')).op as Extract<Op, { type: 'ParamUpdate' }>;

describe('onestep-ParamUpdate-sweep.json', () => {
  it('is up to date with the STF, the draw and the witness builder (run contracts/script/gen-onestep-params-sweep.ts)', () => {
    expect(readFileSync(PARAMS_SWEEP_PATH, 'utf8')).toBe(renderParamsSweep());
  }, 180_000);

  it('every witness is a descending multiproof of its pre-root', () => {
    for (const v of load(PARAMS_SWEEP_PATH)) {
      const [gindices, nodes] = decodeAbiParameters([{ type: 'uint256[]' }, { type: 'bytes32[]' }], v.witness as Hex);
      for (let i = 1; i < gindices.length; i++) expect(gindices[i]! < gindices[i - 1]!, v.name).toBe(true);
      expect(witnessRoot({ gindices: [...gindices], nodes: [...nodes] }, sha), v.name).toBe(v.preRoot);
    }
  });

  it('with the standard vectors, reaches every key accepted and refused, unknown keys, and every refusal reason', () => {
    const vectors = [...load(fixturePath('ParamUpdate')), ...load(PARAMS_SWEEP_PATH)];
    const known = new Set<number>(Object.values(PARAM_KEYS));
    for (const [name, key] of Object.entries(PARAM_KEYS)) {
      const mine = vectors.filter((v) => opOf(v).key === key);
      expect(mine.some((v) => v.accepted === 1), `${name} accepted`).toBe(true);
      expect(mine.some((v) => v.accepted === 0 && v.reason === 'PARAM_INVALID'), `${name} refused as PARAM_INVALID`).toBe(true);
    }
    const unknown = vectors.filter((v) => !known.has(opOf(v).key));
    expect(unknown.length).toBeGreaterThan(0);
    for (const v of unknown) expect(v.accepted === 0 && ['PARAM_INVALID', 'L1_OUT_OF_ORDER', 'TIMESTAMP_REGRESSION'].includes(v.reason), v.name).toBe(true);
    const reasons = new Set(vectors.filter((v) => v.accepted === 0).map((v) => v.reason));
    expect([...reasons].sort()).toEqual(['L1_OUT_OF_ORDER', 'MARKET_UNKNOWN', 'PARAM_INVALID', 'TIMESTAMP_REGRESSION']);
    // The list limits: a 65th market and a 5th asset are refused.
    expect(vectors.some((v) => opOf(v).key === PARAM_KEYS.LIST_MARKET && opOf(v).target === 64 && v.reason === 'PARAM_INVALID')).toBe(true);
    expect(vectors.some((v) => opOf(v).key === PARAM_KEYS.LIST_ASSET && opOf(v).target === 4 && v.reason === 'PARAM_INVALID')).toBe(true);
    // The scans of every market's tier 0 with all 64 listed (the largest witnesses), accepted.
    const big = vectors.filter((v) => v.accepted === 1 && v.witness.length > 60_000).map((v) => opOf(v).key);
    expect(big).toContain(PARAM_KEYS.LIQUIDATION_PENALTY_PPM);
    expect(big).toContain(PARAM_KEYS.MARKET_TIER);
  });
});

describe('witness of a list append (prover/witness.ts)', () => {
  const value = (fields: [number, number, bigint][]) => {
    const b = new Uint8Array(32);
    for (const [at, n, x] of fields) for (let i = 0; i < n; i++) b[at + i] = Number((x >> BigInt(8 * i)) & 0xffn);
    return `0x${Buffer.from(b).toString('hex')}` as Hex;
  };
  const ZERO = `0x${'00'.repeat(32)}`;

  for (const [list, key, fields] of [
    ['markets', PARAM_KEYS.LIST_MARKET, [[0, 8, 10_000n], [8, 8, 10_000n], [16, 4, 100_000n], [20, 4, 50_000n]]],
    ['assets', PARAM_KEYS.LIST_ASSET, [[0, 1, 8n], [8, 4, 900_000n]]],
  ] as const) {
    it(`LIST_${list === 'markets' ? 'MARKET' : 'ASSET'}: the new element's node (zero before), none of its fields, and the length`, () => {
      const state = createGenesisState(testGenesis());
      const n = state[list].length;
      const op: Op = { type: 'ParamUpdate', queueIndex: 0n, key, target: n, value: value(fields as unknown as [number, number, bigint][]) };
      const c = applyWithWitness(state, { timestamp: 1_000n, op }, { signer: null });
      expect(c.receipt.ok).toBe(true);
      expect(state[list].length).toBe(n + 1);
      const element = State.getPathInfo([list, n]).gindex;
      const at = c.witness.gindices.indexOf(element);
      expect(at).toBeGreaterThanOrEqual(0);
      expect(c.witness.nodes[at]).toBe(ZERO);
      expect(c.witness.gindices.some((g) => g > element && g >> BigInt(g.toString(2).length - element.toString(2).length) === element)).toBe(false);
      expect(c.witness.gindices).toContain(State.getPathInfo([list]).gindex * 2n + 1n);
      expect(c.postRoot).not.toBe(c.preRoot);
    });
  }
});
