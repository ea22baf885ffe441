/**
 * Deploys Crossmargin's L1 contracts with viem from the forge artifacts, exactly as
 * `contracts/script/Deploy.s.sol` does (same order, same wiring, same default parameters),
 * for a given sequencer genesis:
 *
 *   test tokens (one MockERC20 per genesis asset, in asset order: the devnet's 6-decimal
 *   stablecoin "USDC" and 18-decimal "WETH", named as Deploy.s.sol names them)
 *   → Governance(owner, timelockDelay, genesis STF values)
 *   → Rollup(governance, sequencer, stateRoot(createGenesisState(genesis)), params)
 *   → Vault(rollup, governance, tokens)
 *   → rollup.initVault(vault) → governance.init(rollup, vault)      (deployer, as in the script)
 *   → the one-step STF: its parts (ONE_STEP_PARTS), then OneStepProver(chainId, rollup, parts)
 *     (contracts/script/OneStepDeploy.sol)
 *   → DisputeGame(rollup, governance, prover, disputeParams(challengeWindow))
 *   → governance.initDisputeGame(game)                                 (deployer, as in the script)
 *   → rollup.postBond{value: bond}()                                  (sequencer; not in the script)
 *
 * Parameters chosen here (the script has no equivalent):
 * - Governance's genesis STF values are derived from the given genesis (the script hard-codes
 *   `_testGenesis()`, which only matches sequencer/state/test/fixtures.ts): the shadow must
 *   equal the state (docs/contracts.md). Risk values: Governance's constructor starts from
 *   RISK_DEFAULTS, so a genesis that overrides a shadowed risk value is refused.
 * - The sequencer's bond: `params.sequencerBond` (1 ETH by default), posted by the sequencer
 *   so `submitBatch` works at once. `bond: 0n` skips it.
 * - The sequencer defaults to the deployer, the owner to the deployer (as the script's env
 *   defaults); tests use a separate sequencer account so its nonces are the poster's alone.
 */
import {
  type Account,
  type Address,
  type Chain,
  type Hex,
  type HttpTransport,
  type LocalAccount,
  type PublicClient,
  type WalletClient,
  createPublicClient,
  createWalletClient,
  defineChain,
  getContract,
  http,
  zeroAddress,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { bytesToHex } from "../state/bytes.js";
import { createGenesisState, stateRoot } from "../state/index.js";
import { type GenesisConfig, RISK_DEFAULTS } from "../state/genesis.js";
import { disputeGameAbi, governanceAbi, mockErc20Abi, rollupAbi, vaultAbi } from "./abi.js";
import { type ContractName, loadArtifact } from "./artifacts.js";

/** `Rollup.InitParams`. */
export interface RollupParams {
  batchInterval: bigint;
  maxBatchSize: bigint;
  challengeWindow: bigint;
  inclusionDeadline: bigint;
  maxBatchGap: bigint;
  exitWindow: bigint;
  sequencerBond: bigint;
  forcedOpFee: bigint;
}

/** `DeployBase._defaultParams()` of Deploy.s.sol. */
export const DEFAULT_PARAMS: Readonly<RollupParams> = Object.freeze({
  batchInterval: 1n,
  maxBatchSize: 10_000n,
  challengeWindow: 86_400n,
  inclusionDeadline: 86_400n,
  maxBatchGap: 43_200n,
  exitWindow: 14n * 86_400n,
  sequencerBond: 10n ** 18n,
  forcedOpFee: 10n ** 15n,
});

/** Deploy.s.sol's timelock delay (2 days; must be ≥ the challenge window). */
export const DEFAULT_TIMELOCK_DELAY = 2n * 86_400n;

/** `DisputeGame.InitParams`. */
export interface DisputeParams {
  clockDuration: bigint;
  resolutionGrace: bigint;
  challengerBond: bigint;
}

/**
 * `DeployBase._disputeParams` of Deploy.s.sol: each party's clock a sixth of the challenge
 * window, the grace a 24th, a 0.1 ETH challenger bond (docs/fault-proofs.md §3).
 */
export function disputeParams(challengeWindow: bigint): DisputeParams {
  return { clockDuration: challengeWindow / 6n, resolutionGrace: challengeWindow / 24n, challengerBond: 10n ** 17n };
}

/** Governance's margin tiers per market. */
const MARGIN_TIERS = 4;

export interface L1Clients {
  chain: Chain;
  transport: HttpTransport;
  public: PublicClient<HttpTransport, Chain>;
  /** Deploys and administers (owner by default). */
  deployer: WalletClient<HttpTransport, Chain, LocalAccount>;
  /** Posts batches (the Rollup's sequencer). */
  sequencer: WalletClient<HttpTransport, Chain, LocalAccount>;
}

export interface ClientOptions {
  /** Per-request timeout (default 10 s) and viem's transport retries (default 3). */
  timeoutMs?: number;
  retryCount?: number;
  /** How often viem polls (receipts, block numbers); default 100 ms (a loopback node). */
  pollingIntervalMs?: number;
}

export function l1Chain(chainId: number, rpcUrl: string): Chain {
  return defineChain({
    id: chainId,
    name: `crossmargin-l1-${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
}

/** A wallet client for `key` on the bundle's chain and transport. */
export function walletFor(clients: Pick<L1Clients, "chain" | "transport">, key: Hex | LocalAccount, pollingIntervalMs = 100): WalletClient<HttpTransport, Chain, LocalAccount> {
  const account = typeof key === "string" ? privateKeyToAccount(key) : key;
  return createWalletClient({ chain: clients.chain, transport: clients.transport, account, pollingInterval: pollingIntervalMs });
}

/**
 * The typed client bundle for an L1 at `rpcUrl`. `cacheTime: 0`: viem otherwise caches the
 * block number for the polling interval, and a poster or a derivation must see a reorg (an
 * anvil revert) at once.
 */
export function l1Clients(rpcUrl: string, chainId: number, keys: { deployer: Hex | LocalAccount; sequencer?: Hex | LocalAccount }, o: ClientOptions = {}): L1Clients {
  const chain = l1Chain(chainId, rpcUrl);
  const transport = http(rpcUrl, { timeout: o.timeoutMs ?? 10_000, retryCount: o.retryCount ?? 3 });
  const poll = o.pollingIntervalMs ?? 100;
  const pub = createPublicClient({ chain, transport, pollingInterval: poll, cacheTime: 0 });
  const deployer = walletFor({ chain, transport }, keys.deployer, poll);
  const sequencer = keys.sequencer === undefined ? deployer : walletFor({ chain, transport }, keys.sequencer, poll);
  return { chain, transport, public: pub, deployer, sequencer };
}

/** `Governance.Genesis` for a sequencer genesis (the shadow of the STF values it step-limits). */
export function governanceGenesis(g: GenesisConfig) {
  const tiers = (pick: "imfPpm" | "mmfPpm") =>
    g.markets.map((m) => {
      if (m.tiers.length > MARGIN_TIERS) throw new Error(`genesis market has ${m.tiers.length} tiers; Governance keeps ${MARGIN_TIERS}`);
      const row = [0, 0, 0, 0] as [number, number, number, number];
      m.tiers.forEach((t, i) => (row[i] = Number(t[pick])));
      return row;
    });
  return {
    maxOracleAgeMs: g.maxOracleAgeMs,
    oracleBandPpm: g.oracleBandPpm,
    nonceWindowMs: g.nonceWindowMs,
    oracleThreshold: g.oracleThreshold,
    imfPpm: tiers("imfPpm"),
    mmfPpm: tiers("mmfPpm"),
    assetWeightPpm: g.assets.map((a) => Number(a.weightPpm)),
  };
}

/** Risk values Governance's constructor sets to RISK_DEFAULTS (it shadows and step-limits them). */
const SHADOWED_RISK = [
  "liquidationPenaltyPpm",
  "liquidationBufferPpm",
  "pacingWindowMs",
  "accountLiquidationCap",
  "insuranceLossCap",
  "fundingIntervalMs",
  "maxFundingRatePpm",
  "portfolioFloorPpm",
  "portfolioMaintenancePpm",
  "groupShocksPpm",
] as const;

function checkRiskShadow(g: GenesisConfig): void {
  for (const k of SHADOWED_RISK) {
    const v = g.risk?.[k];
    if (v === undefined) continue;
    const d = RISK_DEFAULTS[k];
    const same = Array.isArray(v) && Array.isArray(d) ? v.length === d.length && v.every((x, i) => x === d[i]) : v === d;
    if (!same) throw new Error(`genesis risk.${k} differs from RISK_DEFAULTS, which Governance's shadow starts from (docs/contracts.md): deploy would leave the shadow unequal to the state`);
  }
}

/** Name and symbol of the test token of asset `i` (Deploy.s.sol's for the devnet's two). */
function tokenMeta(i: number, decimals: number): [string, string] {
  if (i === 0 && decimals === 6) return ["USD Coin (test)", "USDC"];
  if (i === 1 && decimals === 18) return ["Wrapped Ether (test)", "WETH"];
  return [`Test Asset ${i}`, `TA${i}`];
}

export interface DeployOptions {
  clients: L1Clients;
  genesis: GenesisConfig;
  /** Rollup parameters over DEFAULT_PARAMS. */
  params?: Partial<RollupParams>;
  timelockDelay?: bigint;
  /** Governance owner (default: the deployer). */
  owner?: Address;
  /** Existing tokens for the genesis assets (default: deploy a MockERC20 per asset). */
  tokens?: Address[];
  /** The sequencer's bond (default `params.sequencerBond`; 0n: none). */
  bond?: bigint;
  /** Per-transaction receipt timeout (default 30 s): a chain that does not mine fails fast. */
  receiptTimeoutMs?: number;
  /** Deploy the one-step prover and give it to the game (default true; false: root games cannot open). */
  oneStepProver?: boolean;
}

export interface Deployment {
  chainId: number;
  rpcUrl: string;
  /** First block of the deployment (derivation scans events from here). */
  fromBlock: bigint;
  /** Block of the last deployment transaction. */
  toBlock: bigint;
  governance: Address;
  rollup: Address;
  vault: Address;
  /** The dispute game. */
  disputeGame: Address;
  /** The game's one-step prover (zero when deployed without one). */
  oneStepProver: Address;
  /** Token of asset 0, 1, … */
  tokens: Address[];
  owner: Address;
  sequencer: Address;
  genesisRoot: Hex;
  params: RollupParams;
  timelockDelay: bigint;
  clients: L1Clients;
}

/** Typed contract instances of a deployment (read and write through `clients`). */
export function contractsOf(d: Pick<Deployment, "rollup" | "vault" | "governance" | "tokens" | "clients">, wallet: WalletClient<HttpTransport, Chain, Account> = d.clients.deployer) {
  const client = { public: d.clients.public, wallet };
  return {
    rollup: getContract({ address: d.rollup, abi: rollupAbi, client }),
    vault: getContract({ address: d.vault, abi: vaultAbi, client }),
    governance: getContract({ address: d.governance, abi: governanceAbi, client }),
    tokens: d.tokens.map((address) => getContract({ address, abi: mockErc20Abi, client })),
  };
}

export async function deploy(o: DeployOptions): Promise<Deployment> {
  const { clients, genesis } = o;
  const pub = clients.public;
  const params: RollupParams = { ...DEFAULT_PARAMS, ...o.params };
  const timelockDelay = o.timelockDelay ?? DEFAULT_TIMELOCK_DELAY;
  const deployer = clients.deployer;
  const owner = o.owner ?? deployer.account.address;
  const sequencer = clients.sequencer.account.address;
  const timeout = o.receiptTimeoutMs ?? 30_000;
  checkRiskShadow(genesis);
  const genesisRoot = bytesToHex(stateRoot(createGenesisState(genesis))) as Hex;
  const chainId = await pub.getChainId();
  const fromBlock = (await pub.getBlock({ blockTag: "latest" })).number + 1n;
  let toBlock = fromBlock;

  const mined = async (hash: Hex, what: string) => {
    const r = await pub.waitForTransactionReceipt({ hash, timeout, pollingInterval: 50 });
    if (r.status !== "success") throw new Error(`deploy: ${what} reverted (tx ${hash})`);
    if (r.blockNumber > toBlock) toBlock = r.blockNumber;
    return r;
  };
  const create = async (name: ContractName, args: readonly unknown[]): Promise<Address> => {
    const art = loadArtifact(name);
    const hash = await deployer.deployContract({ abi: art.abi, bytecode: art.bytecode, args });
    const r = await mined(hash, `${name} deployment`);
    if (!r.contractAddress) throw new Error(`deploy: ${name} has no contract address`);
    return r.contractAddress;
  };

  let tokens = o.tokens;
  if (tokens === undefined) {
    tokens = [];
    for (const [i, a] of genesis.assets.entries()) tokens.push(await create("MockERC20", [...tokenMeta(i, a.decimals), a.decimals]));
  } else if (tokens.length !== genesis.assets.length) {
    throw new Error(`deploy: ${tokens.length} tokens for ${genesis.assets.length} genesis assets`);
  }
  const governance = await create("Governance", [owner, timelockDelay, governanceGenesis(genesis)]);
  const rollup = await create("Rollup", [governance, sequencer, genesisRoot, params]);
  const vault = await create("Vault", [rollup, governance, tokens]);
  await mined(await deployer.writeContract({ address: rollup, abi: rollupAbi, functionName: "initVault", args: [vault] }), "rollup.initVault");
  await mined(await deployer.writeContract({ address: governance, abi: governanceAbi, functionName: "init", args: [rollup, vault] }), "governance.init");
  const oneStepProver = o.oneStepProver === false ? zeroAddress : await deployOneStepProver(create, BigInt(chainId), rollup);
  const disputeGame = await create("DisputeGame", [rollup, governance, oneStepProver, disputeParams(params.challengeWindow)]);
  await mined(await deployer.writeContract({ address: governance, abi: governanceAbi, functionName: "initDisputeGame", args: [disputeGame] }), "governance.initDisputeGame");
  const bond = o.bond ?? params.sequencerBond;
  if (bond > 0n) {
    await mined(await clients.sequencer.writeContract({ address: rollup, abi: rollupAbi, functionName: "postBond", value: bond }), "rollup.postBond");
  }

  // What Deploy.s.sol's wiring guarantees, read back: a mismatch here is a deployment bug.
  const c = contractsOf({ rollup, vault, governance, tokens, clients });
  const [g0, vaultOf, assetCount, seq, bonded, gameOf] = await Promise.all([
    c.rollup.read.batch([0n]),
    c.rollup.read.vault(),
    c.vault.read.assetCount(),
    c.rollup.read.sequencer(),
    c.rollup.read.bondOf([sequencer]),
    c.rollup.read.disputeGame(),
  ]);
  if (g0.stateRoot !== genesisRoot) throw new Error(`deploy: batch 0 root ${g0.stateRoot} != genesis root ${genesisRoot}`);
  if (vaultOf.toLowerCase() !== vault.toLowerCase()) throw new Error("deploy: rollup.vault not wired");
  if (assetCount !== BigInt(tokens.length)) throw new Error("deploy: vault asset count");
  if (seq.toLowerCase() !== sequencer.toLowerCase()) throw new Error("deploy: rollup.sequencer");
  if (bonded < bond) throw new Error("deploy: bond not posted");
  if (gameOf.toLowerCase() !== disputeGame.toLowerCase()) throw new Error("deploy: rollup.disputeGame not wired");
  const proverOf = await pub.readContract({ address: disputeGame, abi: disputeGameAbi, functionName: "prover" });
  if (proverOf.toLowerCase() !== oneStepProver.toLowerCase()) throw new Error("deploy: disputeGame.prover not wired");

  const rpcUrl = clients.chain.rpcUrls.default.http[0]!;
  return { chainId, rpcUrl, fromBlock, toBlock, governance, rollup, vault, disputeGame, oneStepProver, tokens, owner, sequencer, genesisRoot, params, timelockDelay, clients };
}

/**
 * The one-step STF's parts, in the prover's lookup order: each a contract of its own (EIP-170
 * caps code per contract, EIP-3860 initcode). contracts/script/OneStepDeploy.sol deploys the
 * same list.
 */
export const ONE_STEP_PARTS = ["OneStepTrading", "OneStepRisk", "OneStepParams"] as const satisfies readonly ContractName[];

/**
 * Deploys the one-step STF for the signing domain (`chainId`, `rollup`): its parts, then the
 * prover routing to them. `create` deploys one artifact and returns its address.
 */
export async function deployOneStepProver(create: (name: ContractName, args: readonly unknown[]) => Promise<Address>, chainId: bigint, rollup: Address): Promise<Address> {
  const parts: Address[] = [];
  for (const name of ONE_STEP_PARTS) parts.push(await create(name, [chainId, rollup]));
  return create("OneStepProver", [chainId, rollup, parts]);
}

/** A `create` for `deployOneStepProver` outside `deploy` (benches, tests): deploys with `wallet`, waits for the receipt. */
export function creator(wallet: WalletClient<HttpTransport, Chain, Account>, pub: PublicClient, pollingInterval = 20) {
  return async (name: ContractName, args: readonly unknown[]): Promise<Address> => {
    const art = loadArtifact(name);
    const hash = await wallet.deployContract({ abi: art.abi, bytecode: art.bytecode, args });
    const r = await pub.waitForTransactionReceipt({ hash, pollingInterval });
    if (r.status !== "success" || !r.contractAddress) throw new Error(`${name} deployment failed (tx ${hash})`);
    return r.contractAddress;
  };
}

export { rollupAbi, vaultAbi, governanceAbi, mockErc20Abi, disputeGameAbi };
