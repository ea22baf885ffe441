/**
 * Generates `contracts/src/lib/StateLayout.sol`: every SSZ layout constant the L1 contracts
 * need (tree depths, field positions, generalized indices of list elements), computed from the
 * `@chainsafe/ssz` types in `sequencer/state/types.ts`, so the contracts follow the STF's
 * schema when it grows. Run `npx tsx contracts/script/gen-layout.ts`
 * after changing types.ts and commit the output; `contracts/test/ts/layout.test.ts` fails
 * while the committed file is stale.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ContainerType } from '@chainsafe/ssz';
import {
  Account,
  CollateralAsset,
  Market,
  Position,
  State,
  Withdrawal,
} from '../../sequencer/state/types.js';
import { MAX_ASSETS, MAX_MARKETS } from '../../sequencer/state/constants.js';

export const LAYOUT_PATH = fileURLToPath(new URL('../src/lib/StateLayout.sol', import.meta.url));

// biome-ignore lint: field maps of SSZ containers are untyped here.
type AnyContainer = ContainerType<any>;

const log2 = (n: bigint): number => {
  let d = 0;
  while (1n << BigInt(d) < n) d++;
  return d;
};

/** Depth of a container's field tree (fields padded to a power of two). */
function depthOf(t: AnyContainer): number {
  return log2(BigInt(Object.keys(t.fields).length));
}

/** Index of `field` among `t`'s fields (its leaf in the field tree). */
function fieldIndex(t: AnyContainer, field: string): number {
  const i = Object.keys(t.fields).indexOf(field);
  if (i < 0) throw new Error(`no field ${field} in ${t.typeName}`);
  return i;
}

interface Constant {
  name: string;
  value: bigint | number;
  doc: string;
}

export function layoutConstants(): Constant[] {
  const c: Constant[] = [];
  const add = (name: string, value: bigint | number, doc: string) => c.push({ name, value, doc });
  const g = (path: (string | number)[]) => State.getPathInfo(path).gindex;

  add('STATE_FIELDS', Object.keys(State.fields).length, 'Fields of `State`.');
  add('STATE_DEPTH', depthOf(State), 'Depth of the `State` field tree.');
  add('L1_NEXT_INDEX_GINDEX', g(['l1', 'nextIndex']), '`state.l1.nextIndex` (uint64 chunk).');
  add('L1_CHAIN_HASH_GINDEX', g(['l1', 'chainHash']), '`state.l1.chainHash` (bytes32 chunk).');

  // List element i sits at gindex FIRST + i: the first element's gindex is the left-most leaf
  // of the list's data tree, whose depth is log2(limit).
  const lists: [string, string, AnyContainer][] = [
    ['ASSETS', 'assets', CollateralAsset],
    ['MARKETS', 'markets', Market],
    ['ACCOUNTS', 'accounts', Account],
    ['WITHDRAWALS', 'withdrawals', Withdrawal],
  ];
  for (const [name, field, _] of lists) {
    const first = g([field, 0]);
    add(`${name}_FIRST_GINDEX`, first, `\`state.${field}[0]\`; element i is at this + i.`);
    add(`${name}_PROOF_DEPTH`, log2(first + 1n) - 1, `Branch length of a \`state.${field}[i]\` proof.`);
    add(`${name}_LENGTH_GINDEX`, g([field]) * 2n + 1n, `The length chunk of \`state.${field}\`.`);
  }

  add('MAX_ASSETS', MAX_ASSETS, 'Collateral assets (`Account.balances` length).');
  add('MAX_MARKETS', MAX_MARKETS, 'Markets (`Account.positions` length).');

  add('ACCOUNT_FIELDS', Object.keys(Account.fields).length, 'Fields of `Account`.');
  add('ACCOUNT_DEPTH', depthOf(Account), 'Depth of the `Account` field tree.');
  add('ACCOUNT_OWNER', fieldIndex(Account, 'owner'), 'Field index of `Account.owner`.');
  add('ACCOUNT_BALANCES', fieldIndex(Account, 'balances'), 'Field index of `Account.balances`.');
  add('ACCOUNT_POSITIONS', fieldIndex(Account, 'positions'), 'Field index of `Account.positions`.');
  // int128 balances pack two per chunk.
  add('BALANCES_DEPTH', Account.fields.balances.depth, 'Depth of the packed `balances` vector.');
  add('POSITIONS_DEPTH', Account.fields.positions.depth, 'Depth of the `positions` vector.');

  add('POSITION_DEPTH', depthOf(Position), 'Depth of the `Position` field tree.');
  for (const f of ['size', 'entryNotional', 'lastFundingIndex', 'isolatedMargin', 'marginMode']) {
    add(`POSITION_${snake(f)}`, fieldIndex(Position, f), `Field index of \`Position.${f}\`.`);
  }
  add('POSITION_FIELDS', Object.keys(Position.fields).length, 'Fields of `Position`.');

  add('MARKET_ORACLE_PRICE_GINDEX', Market.getPathInfo(['oraclePrice']).gindex, '`Market.oraclePrice` within a market.');
  add('MARKET_FUNDING_INDEX_GINDEX', Market.getPathInfo(['fundingIndex']).gindex, '`Market.fundingIndex` within a market.');

  add('ASSET_DEPTH', depthOf(CollateralAsset), 'Depth of the `CollateralAsset` field tree.');
  for (const f of ['decimals', 'weightPpm', 'oraclePrice', 'oracleTimestamp']) {
    add(`ASSET_${snake(f)}`, fieldIndex(CollateralAsset, f), `Field index of \`CollateralAsset.${f}\`.`);
  }
  add('ASSET_FIELDS', Object.keys(CollateralAsset.fields).length, 'Fields of `CollateralAsset`.');

  add('WITHDRAWAL_DEPTH', depthOf(Withdrawal), 'Depth of the `Withdrawal` field tree.');
  for (const f of ['account', 'owner', 'asset', 'amount']) {
    add(`WITHDRAWAL_${snake(f)}`, fieldIndex(Withdrawal, f), `Field index of \`Withdrawal.${f}\`.`);
  }
  add('WITHDRAWAL_FIELDS', Object.keys(Withdrawal.fields).length, 'Fields of `Withdrawal`.');
  return c;
}

function snake(s: string): string {
  return s.replace(/([A-Z])/g, '_$1').toUpperCase();
}

export function renderLayout(): string {
  const lines = layoutConstants().map(
    (k) => `    /// @dev ${k.doc}\n    uint256 internal constant ${k.name} = ${k.value.toString()};`,
  );
  return `// SPDX-License-Identifier: MIT
// GENERATED by contracts/script/gen-layout.ts from sequencer/state/types.ts. DO NOT EDIT.
pragma solidity ^0.8.24;

/// @title StateLayout
/// @notice SSZ layout constants of the rollup state (\`State\` in sequencer/state/types.ts):
///         tree depths, field positions and generalized indices. Regenerate with
///         \`npx tsx contracts/script/gen-layout.ts\` whenever the schema changes; a vitest test
///         fails while this file is stale.
library StateLayout {
${lines.join('\n\n')}
}
`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(LAYOUT_PATH, renderLayout());
  console.log(`wrote ${LAYOUT_PATH}`);
}
