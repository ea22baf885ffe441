/**
 * The TypeScript half of the SSZ golden vectors that `contracts/test/SSZ.t.sol` checks with
 * forge: the committed fixture must be what the generator builds now, and every proof in it
 * must verify under the consensus-spec rule that `SSZ.verifyBranch` implements.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  buildSszFixture,
  renderSszFixture,
  SampleAccount,
  SSZ_FIXTURE_PATH,
  type SszBranchFixture,
} from '../../script/gen-ssz-fixture.js';

const bytes = (h: string): Buffer => Buffer.from(h.slice(2), 'hex');
const sha256 = (a: Buffer, b: Buffer): Buffer =>
  createHash('sha256').update(a).update(b).digest();

/** `calculate_merkle_root` from the consensus specs, written out independently of both libraries. */
function rootFromBranch(leaf: string, branch: string[], gindex: bigint): Buffer {
  let node = bytes(leaf);
  branch.forEach((sibling, i) => {
    node = (gindex >> BigInt(i)) & 1n ? sha256(bytes(sibling), node) : sha256(node, bytes(sibling));
  });
  return node;
}

const onDisk = (): SszBranchFixture =>
  JSON.parse(readFileSync(SSZ_FIXTURE_PATH, 'utf8')) as SszBranchFixture;

describe('SSZ branch fixture (contracts/test/fixtures/ssz-branch.json)', () => {
  it('is up to date with contracts/script/gen-ssz-fixture.ts (run `npm run fixtures`)', () => {
    expect(readFileSync(SSZ_FIXTURE_PATH, 'utf8')).toBe(renderSszFixture());
  });

  it('proves every case against the root, with branch length equal to the gindex depth', () => {
    const fixture = onDisk();
    expect(fixture.cases).toHaveLength(7);
    for (const c of fixture.cases) {
      const gindex = BigInt(c.gindex);
      expect(gindex >> BigInt(c.branch.length), c.name).toBe(1n);
      expect(`0x${rootFromBranch(c.leaf, c.branch, gindex).toString('hex')}`, c.name).toBe(
        fixture.root,
      );
    }
  });

  it('fails for a flipped bit in any leaf or sibling', () => {
    const fixture = onDisk();
    for (const c of fixture.cases) {
      const gindex = BigInt(c.gindex);
      const flip = (h: string, bit: number): string => {
        const b = bytes(h);
        b[bit >> 3] = (b[bit >> 3] ?? 0) ^ (1 << (bit & 7));
        return `0x${b.toString('hex')}`;
      };
      for (const bit of [0, 7, 100, 255]) {
        expect(rootFromBranch(flip(c.leaf, bit), c.branch, gindex).equals(bytes(fixture.root))).toBe(
          false,
        );
        c.branch.forEach((_, i) => {
          const branch = c.branch.map((s, j) => (j === i ? flip(s, bit) : s));
          expect(rootFromBranch(c.leaf, branch, gindex).equals(bytes(fixture.root))).toBe(false);
        });
      }
    }
  });

  it('stores uints little-endian in their chunk, as SSZ.toLittleEndian* assume', () => {
    const fixture = onDisk();
    const nonce = fixture.cases.find((c) => c.name === 'nonce');
    expect(nonce?.leaf).toBe(`0x${'1032547698badcfe'}${'00'.repeat(24)}`);
    // positions[9] is value 1 of its chunk: bytes 8..15.
    const pos = fixture.cases.find((c) => c.name === 'positions[9]');
    if (!pos) throw new Error('missing positions[9]');
    expect(bytes(pos.leaf).readBigUInt64LE(8 * pos.slot)).toBe(BigInt(pos.value));
  });

  it('has the list root as mix_in_length(dataRoot, length), as SSZ.mixInLength computes', () => {
    const { list } = buildSszFixture();
    const lengthChunk = Buffer.alloc(32);
    lengthChunk.writeBigUInt64LE(BigInt(list.length));
    expect(`0x${sha256(bytes(list.dataRoot), lengthChunk).toString('hex')}`).toBe(list.root);
    expect(SampleAccount.getPathInfo(['positions']).gindex).toBe(BigInt(list.fieldGindex));
  });
});
