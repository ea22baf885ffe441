/**
 * Golden vectors for `contracts/src/lib/SSZ.sol`: SSZ single-leaf proofs made by
 * `@chainsafe/ssz` / `@chainsafe/persistent-merkle-tree` (the libraries the STF uses), read by
 * both `contracts/test/SSZ.t.sol` (forge) and `contracts/test/ts/ssz-branch.test.ts` (vitest).
 *
 * Run `npm run fixtures` after changing this file and commit the JSON; the vitest test fails
 * while the committed JSON differs from what this builds.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createProof, ProofType, type SingleProof } from '@chainsafe/persistent-merkle-tree';
import {
  ByteVectorType,
  ContainerType,
  ListBasicType,
  UintBigintType,
  UintNumberType,
  type ValueOf,
} from '@chainsafe/ssz';

/** Where the fixture lives; foundry.toml lets forge tests read this folder. */
export const SSZ_FIXTURE_PATH = fileURLToPath(
  new URL('../test/fixtures/ssz-branch.json', import.meta.url),
);

/** Maximum positions in the sample list: 32 uint64s = 8 chunks, a data tree of depth 3. */
const POSITIONS_LIMIT = 32;

/**
 * A sample container shaped like an account leaf: uints of each width the rollup uses, a
 * 32-byte field and a packed basic list. Six fields pad to eight leaves, so field i is at
 * gindex 8 + i.
 */
export const SampleAccount = new ContainerType(
  {
    id: new UintNumberType(8),
    nonce: new UintBigintType(8),
    collateral: new UintBigintType(16),
    equity: new UintBigintType(32),
    positions: new ListBasicType(new UintBigintType(8), POSITIONS_LIMIT),
    owner: new ByteVectorType(32),
  },
  { typeName: 'SampleAccount' },
);

/** One proof case; every hex string is 0x-prefixed, every integer a decimal string. */
export interface SszBranchCase {
  /** Human label, e.g. "positions[9]". */
  name: string;
  /** How to read the leaf chunk: "uint64" | "uint128" | "uint256" | "bytes32". */
  kind: 'uint64' | 'uint128' | 'uint256' | 'bytes32';
  /** Which packed value of the chunk `value` is (0 unless several values share a chunk). */
  slot: number;
  /** The expected value read from the leaf (decimal for uints, hex for bytes32). */
  value: string;
  /** Generalized index of the leaf in the container's tree. */
  gindex: string;
  leaf: string;
  /** Siblings from the leaf's level up (consensus-spec order). */
  branch: string[];
}

export interface SszBranchFixture {
  comment: string;
  /** `SampleAccount.hashTreeRoot(value)`. */
  root: string;
  /** The `positions` list, to check `mixInLength` and `concatGindex`. */
  list: {
    fieldGindex: string;
    length: string;
    dataRoot: string;
    root: string;
  };
  cases: SszBranchCase[];
}

const hex = (b: Uint8Array): string => `0x${Buffer.from(b).toString('hex')}`;

/** The sample value: numbers chosen so that every byte of each field differs. */
function sampleValue(): ValueOf<typeof SampleAccount> {
  const positions: bigint[] = [];
  for (let i = 0n; i < 11n; i++) positions.push(0x0102030405060708n * (i + 1n) + i);
  return {
    id: 0x01_02_03_04_05_06, // below 2^53: a number
    nonce: 0xfedcba9876543210n,
    collateral: 0x0f1e2d3c4b5a69788796a5b4c3d2e1f0n,
    equity: 0x8000000000000000000000000000000000000000000000000000000000000001n + 0x1234n,
    positions,
    owner: Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + 3) & 0xff),
  };
}

/** Builds the fixture; pure and deterministic. */
export function buildSszFixture(): SszBranchFixture {
  const value = sampleValue();
  const tree = SampleAccount.value_toTree(value);
  const root = SampleAccount.hashTreeRoot(value);

  const prove = (
    path: (string | number)[],
    name: string,
    kind: SszBranchCase['kind'],
    slot: number,
    expected: string,
  ): SszBranchCase => {
    const { gindex } = SampleAccount.getPathInfo(path);
    const proof = createProof(tree, { type: ProofType.single, gindex }) as SingleProof;
    return {
      name,
      kind,
      slot,
      value: expected,
      gindex: gindex.toString(),
      leaf: hex(proof.leaf),
      branch: proof.witnesses.map(hex),
    };
  };

  const listType = SampleAccount.fields.positions;
  const listTree = listType.value_toTree(value.positions);
  const positionIndex = 9; // chunk 2, slot 1: an element that is not first in its chunk
  const position = value.positions[positionIndex];
  if (position === undefined) throw new Error('sample list too short');

  const cases: SszBranchCase[] = [
    prove(['id'], 'id', 'uint64', 0, String(value.id)),
    prove(['nonce'], 'nonce', 'uint64', 0, value.nonce.toString()),
    prove(['collateral'], 'collateral', 'uint128', 0, value.collateral.toString()),
    prove(['equity'], 'equity', 'uint256', 0, value.equity.toString()),
    prove(['owner'], 'owner', 'bytes32', 0, hex(value.owner)),
    prove(
      ['positions', positionIndex],
      `positions[${positionIndex}]`,
      'uint64',
      positionIndex % 4,
      position.toString(),
    ),
  ];
  // The list's length leaf: the right child of the list's root (inner gindex 3).
  const lengthGindex = SampleAccount.getPathInfo(['positions']).gindex * 2n + 1n;
  const lengthProof = createProof(tree, {
    type: ProofType.single,
    gindex: lengthGindex,
  }) as SingleProof;
  cases.push({
    name: 'positions.length',
    kind: 'uint256',
    slot: 0,
    value: String(value.positions.length),
    gindex: lengthGindex.toString(),
    leaf: hex(lengthProof.leaf),
    branch: lengthProof.witnesses.map(hex),
  });

  return {
    comment:
      'Generated by contracts/script/gen-ssz-fixture.ts (npm run fixtures); do not edit by hand.',
    root: hex(root),
    list: {
      fieldGindex: SampleAccount.getPathInfo(['positions']).gindex.toString(),
      length: String(value.positions.length),
      dataRoot: hex(listTree.left.root),
      root: hex(listType.hashTreeRoot(value.positions)),
    },
    cases,
  };
}

/** The exact bytes written to disk (stable key order, two-space indent, final newline). */
export function renderSszFixture(): string {
  return `${JSON.stringify(buildSszFixture(), null, 2)}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(SSZ_FIXTURE_PATH, renderSszFixture());
  console.log(`wrote ${SSZ_FIXTURE_PATH}`);
}
