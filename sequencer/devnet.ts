/**
 * The devnet genesis the CLI uses without --genesis: BTC, ETH and SOL perpetuals, a
 * 6-decimal stablecoin and an 18-decimal WETH (weight 0.8). The oracle signer's key is
 * public on purpose (a local devnet only): the demo and tests sign price updates with it.
 * Prices start unset, so markets are reduce-only until the first oracle update.
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { bytesToHex } from "./state/bytes.js";
import { PPM } from "./state/constants.js";
import type { GenesisConfig } from "./state/genesis.js";
import type { Hex } from "./state/ops.js";

export const DEVNET_ORACLE_KEY: Hex = bytesToHex(keccak_256(new TextEncoder().encode("crossmargin-devnet/oracle")));
export const DEVNET_ORACLE: Hex = bytesToHex(keccak_256(secp256k1.getPublicKey(keccak_256(new TextEncoder().encode("crossmargin-devnet/oracle")), false).subarray(1)).subarray(12));

const USD = 1_000_000n;

export function devnetGenesis(): GenesisConfig {
  return {
    maxOracleAgeMs: 60_000n,
    oracleBandPpm: 200_000n,
    nonceWindowMs: 60_000n,
    oracleThreshold: 1,
    oracleSigners: [DEVNET_ORACLE],
    assets: [
      { decimals: 6, weightPpm: PPM },
      { decimals: 18, weightPpm: 800_000n },
    ],
    markets: [
      // BTC: tick $1, lot 0.0001
      { tickSize: USD, lotSize: 10_000n, group: 0, tiers: [{ notionalCap: 5_000_000n * USD, imfPpm: 50_000n, mmfPpm: 25_000n }, { notionalCap: 0n, imfPpm: 100_000n, mmfPpm: 50_000n }] },
      // ETH: tick $0.01, lot 0.001
      { tickSize: 10_000n, lotSize: 100_000n, group: 0, tiers: [{ notionalCap: 2_000_000n * USD, imfPpm: 50_000n, mmfPpm: 25_000n }, { notionalCap: 0n, imfPpm: 100_000n, mmfPpm: 50_000n }] },
      // SOL: tick $0.001, lot 0.01
      { tickSize: 1_000n, lotSize: 1_000_000n, group: 1, tiers: [{ notionalCap: 0n, imfPpm: 100_000n, mmfPpm: 50_000n }] },
    ],
  };
}
