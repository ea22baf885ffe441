/**
 * The generalized indices contracts/src/onestep/OneStepLayout.sol hard-codes or composes must
 * be the schema's (ChainSafe SSZ `State.getPathInfo`): a field added to `Params` or `Market`
 * would otherwise move a chunk under the one-step STF without any vector noticing until an
 * operation touching it is disputed. Each function is checked by evaluating its formula with
 * the constants parsed from the Solidity source.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { layoutConstants } from '../../script/gen-layout.js';
import { State } from '../../../sequencer/state/types.js';

const sol = readFileSync(join(__dirname, '../../src/onestep/OneStepLayout.sol'), 'utf8');
const L = Object.fromEntries(layoutConstants().map((c) => [c.name, BigInt(c.value)]));

/** A `uint256 internal constant NAME = <number | L.NAME>;` of OneStepLayout.sol. */
function constant(name: string): bigint {
  const m = new RegExp(`constant ${name} = ([A-Z0-9_.]+);`).exec(sol);
  if (m === null) throw new Error(`OneStepLayout.sol has no constant ${name}`);
  const v = m[1]!;
  return v.startsWith('L.') ? L[v.slice(2)]! : BigInt(v);
}

const gindex = (path: (string | number)[]) => State.getPathInfo(path).gindex;

describe('OneStepLayout.sol: Params fields', () => {
  const params: [string, string][] = [
    ['PARAMS_MAX_ORACLE_AGE', 'maxOracleAgeMs'],
    ['PARAMS_ORACLE_BAND', 'oracleBandPpm'],
    ['PARAMS_NONCE_WINDOW', 'nonceWindowMs'],
    ['PARAMS_ORACLE_THRESHOLD', 'oracleThreshold'],
    ['PARAMS_ORACLE_SIGNERS', 'oracleSigners'],
    ['PARAMS_LIQUIDATION_PENALTY', 'liquidationPenaltyPpm'],
    ['PARAMS_LIQUIDATION_BUFFER', 'liquidationBufferPpm'],
    ['PARAMS_PACING_WINDOW', 'pacingWindowMs'],
    ['PARAMS_ACCOUNT_LIQUIDATION_CAP', 'accountLiquidationCap'],
    ['PARAMS_INSURANCE_LOSS_CAP', 'insuranceLossCap'],
    ['PARAMS_FUNDING_INTERVAL', 'fundingIntervalMs'],
    ['PARAMS_MAX_FUNDING_RATE', 'maxFundingRatePpm'],
    ['PARAMS_PORTFOLIO_FLOOR', 'portfolioFloorPpm'],
    ['PARAMS_PORTFOLIO_MAINTENANCE', 'portfolioMaintenancePpm'],
    ['PARAMS_GROUP_SHOCKS', 'groupShocksPpm'],
    ['PARAMS_BACKSTOP_ACCOUNT', 'backstopAccount'],
  ];
  for (const [name, field] of params) {
    it(`${name} is params.${field}`, () => {
      expect(constant(name)).toBe(gindex(['params', field]));
    });
  }

  it('groupShocksPpm is one chunk (eight uint32), so its root is the chunk', () => {
    for (let g = 0; g < 8; g++) expect(gindex(['params', 'groupShocksPpm', g])).toBe(constant('PARAMS_GROUP_SHOCKS'));
  });

  it('oracleSigner(k) is params.oracleSigners[k]', () => {
    for (let k = 0; k < 8; k++) expect((constant('PARAMS_ORACLE_SIGNERS') << 3n) | BigInt(k)).toBe(gindex(['params', 'oracleSigners', k]));
  });

  it('CLOCK and the L1 cursor', () => {
    expect(constant('CLOCK')).toBe(gindex(['clock']));
    expect(constant('L1_NEXT_INDEX')).toBe(gindex(['l1', 'nextIndex']));
    expect(constant('L1_CHAIN_HASH')).toBe(gindex(['l1', 'chainHash']));
  });
});

describe('OneStepLayout.sol: markets and assets', () => {
  const marketFields: [string, string][] = [
    ['MARKET_STATUS', 'status'],
    ['MARKET_TICK_SIZE', 'tickSize'],
    ['MARKET_LOT_SIZE', 'lotSize'],
    ['MARKET_TIERS', 'tiers'],
    ['MARKET_ORACLE_PRICE', 'oraclePrice'],
    ['MARKET_ORACLE_TIMESTAMP', 'oracleTimestamp'],
    ['MARKET_FUNDING_INDEX', 'fundingIndex'],
    ['MARKET_OPEN_INTEREST', 'openInterest'],
    ['MARKET_GROUP', 'group'],
    ['MARKET_LIQUIDATION_CAP', 'liquidationCap'],
    ['MARKET_LAST_FUNDING_TIME', 'lastFundingTime'],
    ['MARKET_FUNDING_POOL', 'fundingPool'],
  ];
  // marketField(m, f) = ((MARKETS_FIRST_GINDEX + m) << MARKET_DEPTH) | f
  const marketField = (m: number, f: bigint) => ((L.MARKETS_FIRST_GINDEX! + BigInt(m)) << constant('MARKET_DEPTH')) | f;

  it('marketRoot(m) is state.markets[m], for the first and the last market', () => {
    for (const m of [0, 1, 63]) expect(L.MARKETS_FIRST_GINDEX! + BigInt(m)).toBe(gindex(['markets', m]));
  });

  for (const [name, field] of marketFields) {
    it(`marketField(m, ${name}) is state.markets[m].${field}`, () => {
      for (const m of [0, 5, 63]) expect(marketField(m, constant(name))).toBe(gindex(['markets', m, field]));
    });
  }

  it('tierField(m, t, f) is state.markets[m].tiers[t].{notionalCap, imfPpm, mmfPpm}', () => {
    const fields: [string, string][] = [['TIER_NOTIONAL_CAP', 'notionalCap'], ['TIER_IMF', 'imfPpm'], ['TIER_MMF', 'mmfPpm']];
    for (const m of [0, 63])
      for (let t = 0; t < 4; t++)
        for (const [name, field] of fields) {
          const g = (((marketField(m, constant('MARKET_TIERS')) << 2n) | BigInt(t)) << 2n) | constant(name);
          expect(g).toBe(gindex(['markets', m, 'tiers', t, field]));
        }
  });

  it('assetRoot(i) and assetField(i, f) are state.assets[i] and its fields', () => {
    const fields: [string, string][] = [['ASSET_DECIMALS', 'decimals'], ['ASSET_WEIGHT_PPM', 'weightPpm'], ['ASSET_ORACLE_PRICE', 'oraclePrice'], ['ASSET_ORACLE_TIMESTAMP', 'oracleTimestamp']];
    for (let i = 0; i < 4; i++) {
      expect(L.ASSETS_FIRST_GINDEX! + BigInt(i)).toBe(gindex(['assets', i]));
      for (const [name, field] of fields) expect(((L.ASSETS_FIRST_GINDEX! + BigInt(i)) << L.ASSET_DEPTH!) | L[name]!).toBe(gindex(['assets', i, field]));
    }
  });

  it('the list length chunks', () => {
    expect(constant('MARKETS_LENGTH')).toBe(gindex(['markets']) * 2n + 1n);
    expect(constant('ASSETS_LENGTH')).toBe(gindex(['assets']) * 2n + 1n);
    expect(constant('ACCOUNTS_LENGTH')).toBe(gindex(['accounts']) * 2n + 1n);
  });
});

describe('OneStepLayout.sol: the risk engine (Liquidate, Deleverage)', () => {
  // marketField(m, f) = ((MARKETS_FIRST_GINDEX + m) << MARKET_DEPTH) | f
  const marketField = (m: number, f: bigint) => ((L.MARKETS_FIRST_GINDEX! + BigInt(m)) << constant('MARKET_DEPTH')) | f;
  // accountField(a, f) = ((ACCOUNTS_FIRST_GINDEX + a) << ACCOUNT_DEPTH) | f
  const accountField = (a: number, f: bigint) => ((L.ACCOUNTS_FIRST_GINDEX! + BigInt(a)) << L.ACCOUNT_DEPTH!) | f;

  it('insuranceFundChunk(asset) holds state.insuranceFund[asset] (two int128 a chunk)', () => {
    for (let i = 0; i < 4; i++) expect(constant('INSURANCE_FUND_FIRST') + BigInt(i >> 1)).toBe(gindex(['insuranceFund', i]));
  });

  it('the insurance window and the socialized loss', () => {
    expect(constant('INSURANCE_WINDOW_START')).toBe(gindex(['insuranceWindow', 'windowStart']));
    expect(constant('INSURANCE_WINDOW_PAID')).toBe(gindex(['insuranceWindow', 'paidInWindow']));
    expect(constant('SOCIALIZED_LOSS')).toBe(gindex(['socializedLoss']));
  });

  it('marketField(m, MARKET_PACING_WINDOW_START | MARKET_LIQUIDATED_IN_WINDOW) are the market pacing fields', () => {
    for (const m of [0, 7, 63]) {
      expect(marketField(m, constant('MARKET_PACING_WINDOW_START'))).toBe(gindex(['markets', m, 'pacingWindowStart']));
      expect(marketField(m, constant('MARKET_LIQUIDATED_IN_WINDOW'))).toBe(gindex(['markets', m, 'liquidatedInWindow']));
    }
  });

  it('pacingField(a, f) is state.accounts[a].pacing.{windowStart, liquidatedInWindow}', () => {
    for (const a of [0, 3, 1_000_000]) {
      const pacing = accountField(a, constant('ACCOUNT_PACING'));
      expect((pacing << 1n) | 0n).toBe(gindex(['accounts', a, 'pacing', 'windowStart']));
      expect((pacing << 1n) | 1n).toBe(gindex(['accounts', a, 'pacing', 'liquidatedInWindow']));
    }
  });
});
