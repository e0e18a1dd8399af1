/**
 * The assets of the market simulator: about 75 named after real CoinGecko ids (with invented
 * prices) and a generated tail. Dates are when the simulated asset lists, collapses or delists;
 * they echo real events so that a backtest looks familiar, but every number is synthetic.
 */

/** How an asset's price is made. */
export type SimKind = 'btc' | 'coin' | 'stable' | 'tracker' | 'gold';

/** Volatility class of a coin: sets its beta to BTC, idiosyncratic volatility and turnover. */
export type SimGroup = 'major' | 'large' | 'mid' | 'meme';

/** One simulated asset: identity, kind and the events of its history. */
export interface SimAssetSpec {
  id: string;
  symbol: string;
  name: string;
  tags: readonly string[];
  kind: SimKind;
  group: SimGroup;
  /** ISO date the asset lists; undefined or before the start: listed from the first day. */
  listed?: string;
  /** Days after the simulation start (generated tail); used when `listed` is undefined. */
  listOffset?: number;
  /** Market cap in USD on its first simulated day (coins, stables, gold). */
  cap0: number;
  /** Stable and tracker price overrides: ISO date → price (stable) or ratio factor (tracker). */
  overrides?: Readonly<Record<string, number>>;
  /** Tracker discount window: [from, to, factor]. */
  discount?: readonly [string, string, number];
  /** Collapse: from this date the price falls log-linearly to `total` times its level over `days`. */
  collapse?: { on: string; days: number; total: number };
  /** ISO date of the first day without rows (delisting). */
  delisted?: string;
  /** Days after the simulation start of the first day without rows (generated tail). */
  delistOffset?: number;
  /** Forced gaps: ISO date of the first missing day → number of missing days. */
  gaps?: Readonly<Record<string, number>>;
  /** Tracker: id of the underlying, share of its market cap, yearly growth of the price ratio. */
  tracks?: { id: string; share: number; ratioGrowth: number };
  /** Chance per day that a gap of 1–3 days starts. */
  gapRate?: number;
  /** Volume as a share of market cap per day. */
  turnover?: number;
  /** Yearly log growth of a stablecoin's supply. */
  growth?: number;
  /** Coins: daily log drift relative to the BTC trend (default by group). */
  drift?: number;
  /** Price on the first simulated day (default: drawn). */
  price0?: number;
}

type Row = [id: string, symbol: string, name: string, listed: string | null, capMillions: number, group: SimGroup];

// Coins: id, symbol, name, listing date (null: from the start), cap at listing in $M, group.
const COINS: readonly Row[] = [
  ['ethereum', 'eth', 'Ethereum', null, 800, 'major'],
  ['binancecoin', 'bnb', 'BNB', '2017-07-25', 100, 'large'],
  ['ripple', 'xrp', 'XRP', null, 250, 'large'],
  ['cardano', 'ada', 'Cardano', '2017-10-01', 600, 'large'],
  ['solana', 'sol', 'Solana', '2020-04-11', 50, 'large'],
  ['dogecoin', 'doge', 'Dogecoin', null, 25, 'meme'],
  ['tron', 'trx', 'TRON', '2017-09-13', 150, 'mid'],
  ['avalanche-2', 'avax', 'Avalanche', '2020-09-22', 300, 'large'],
  ['polkadot', 'dot', 'Polkadot', '2020-08-19', 2500, 'large'],
  ['chainlink', 'link', 'Chainlink', '2017-11-09', 60, 'mid'],
  ['matic-network', 'matic', 'Polygon', '2019-04-28', 40, 'mid'],
  ['shiba-inu', 'shib', 'Shiba Inu', '2020-08-01', 5, 'meme'],
  ['litecoin', 'ltc', 'Litecoin', null, 220, 'major'],
  ['bitcoin-cash', 'bch', 'Bitcoin Cash', '2017-08-01', 4000, 'large'],
  ['uniswap', 'uni', 'Uniswap', '2020-09-17', 900, 'mid'],
  ['stellar', 'xlm', 'Stellar', null, 20, 'mid'],
  ['monero', 'xmr', 'Monero', null, 190, 'mid'],
  ['ethereum-classic', 'etc', 'Ethereum Classic', null, 130, 'mid'],
  ['cosmos', 'atom', 'Cosmos Hub', '2019-03-14', 1000, 'mid'],
  ['filecoin', 'fil', 'Filecoin', '2020-10-15', 1500, 'mid'],
  ['internet-computer', 'icp', 'Internet Computer', '2021-05-10', 20000, 'mid'],
  ['hedera-hashgraph', 'hbar', 'Hedera', '2019-09-16', 150, 'mid'],
  ['aptos', 'apt', 'Aptos', '2022-10-19', 1200, 'mid'],
  ['arbitrum', 'arb', 'Arbitrum', '2023-03-23', 1500, 'mid'],
  ['optimism', 'op', 'Optimism', '2022-06-01', 300, 'mid'],
  ['near', 'near', 'NEAR Protocol', '2020-10-13', 400, 'mid'],
  ['vechain', 'vet', 'VeChain', '2017-08-22', 100, 'mid'],
  ['algorand', 'algo', 'Algorand', '2019-06-21', 1000, 'mid'],
  ['the-graph', 'grt', 'The Graph', '2020-12-17', 800, 'mid'],
  ['aave', 'aave', 'Aave', '2020-10-03', 400, 'mid'],
  ['maker', 'mkr', 'Maker', '2017-12-20', 500, 'mid'],
  ['eos', 'eos', 'EOS', '2017-07-01', 1000, 'mid'],
  ['tezos', 'xtz', 'Tezos', '2017-10-02', 800, 'mid'],
  ['theta-token', 'theta', 'Theta Network', '2018-01-17', 200, 'mid'],
  ['axie-infinity', 'axs', 'Axie Infinity', '2020-11-04', 30, 'meme'],
  ['the-sandbox', 'sand', 'The Sandbox', '2020-08-14', 20, 'meme'],
  ['decentraland', 'mana', 'Decentraland', '2017-09-17', 50, 'mid'],
  ['fantom', 'ftm', 'Fantom', '2018-10-29', 50, 'mid'],
  ['elrond-erd-2', 'egld', 'MultiversX', '2020-09-03', 400, 'mid'],
  ['zcash', 'zec', 'Zcash', null, 30, 'mid'],
  ['dash', 'dash', 'Dash', null, 80, 'mid'],
  ['neo', 'neo', 'NEO', null, 10, 'mid'],
  ['iota', 'miota', 'IOTA', '2017-06-13', 1500, 'mid'],
  ['kusama', 'ksm', 'Kusama', '2019-09-18', 30, 'mid'],
  ['chiliz', 'chz', 'Chiliz', '2019-07-01', 20, 'mid'],
  ['pancakeswap-token', 'cake', 'PancakeSwap', '2020-09-29', 50, 'mid'],
  ['curve-dao-token', 'crv', 'Curve DAO', '2020-08-14', 100, 'mid'],
  ['sui', 'sui', 'Sui', '2023-05-03', 700, 'mid'],
  ['sei-network', 'sei', 'Sei', '2023-08-15', 300, 'mid'],
  ['injective-protocol', 'inj', 'Injective', '2020-10-21', 30, 'mid'],
  ['render-token', 'rndr', 'Render', '2020-06-11', 20, 'mid'],
  ['pepe', 'pepe', 'Pepe', '2023-04-17', 10, 'meme'],
  ['bonk', 'bonk', 'Bonk', '2022-12-29', 20, 'meme'],
  ['dogwifcoin', 'wif', 'dogwifhat', '2023-12-20', 10, 'meme'],
  ['celestia', 'tia', 'Celestia', '2023-10-31', 1000, 'mid'],
  ['the-open-network', 'ton', 'Toncoin', '2021-08-27', 1000, 'mid'],
  ['kaspa', 'kas', 'Kaspa', '2022-05-25', 20, 'mid'],
  ['harmony', 'one', 'Harmony', '2019-06-01', 80, 'mid'],
  ['ftx-token', 'ftt', 'FTX Token', '2019-07-29', 30, 'mid'],
  ['terra-luna', 'luna', 'Terra Luna Classic', '2019-07-26', 100, 'mid'],
  ['celsius-degree-token', 'cel', 'Celsius Network', '2018-06-01', 20, 'mid'],
];

/** Per-id extras for named coins: events that make the simulated history look like the real one. */
const COIN_EXTRAS: Readonly<Record<string, Partial<SimAssetSpec>>> = {
  ethereum: { drift: 0.0003, price0: 8 },
  binancecoin: { drift: 0.0004, price0: 0.1 },
  solana: { drift: 0.0009, price0: 0.95 },
  ripple: { drift: -0.0001, price0: 0.0065 },
  cardano: { drift: -0.0002, price0: 0.02 },
  dogecoin: { drift: 0, price0: 0.0002 },
  tron: { drift: 0, price0: 0.002 },
  litecoin: { price0: 4.4 },
  'bitcoin-cash': { price0: 300 },
  'the-open-network': { drift: 0.0003 },
  'shiba-inu': { drift: 0.0006 },
  // A five-day outage: longer than 72 h, so a member is removed in an emergency rebalance.
  harmony: { gaps: { '2021-06-10': 5 } },
  'ftx-token': { collapse: { on: '2022-11-08', days: 4, total: 0.04 }, delisted: '2023-01-31' },
  'terra-luna': { collapse: { on: '2022-05-09', days: 5, total: 0.00002 }, delisted: '2022-06-30' },
  'celsius-degree-token': { collapse: { on: '2022-06-12', days: 20, total: 0.1 }, delisted: '2023-07-15' },
  'internet-computer': { collapse: { on: '2021-05-12', days: 45, total: 0.15 } },
};

const stable = (id: string, symbol: string, name: string, listed: string | null, capMillions: number, tags: readonly string[], extra: Partial<SimAssetSpec> = {}): SimAssetSpec => ({
  id,
  symbol,
  name,
  tags,
  kind: 'stable',
  group: 'major',
  ...(listed === null ? {} : { listed }),
  cap0: capMillions * 1e6,
  ...extra,
});

const tracker = (id: string, symbol: string, name: string, listed: string, tags: readonly string[], tracks: SimAssetSpec['tracks'], extra: Partial<SimAssetSpec> = {}): SimAssetSpec => ({
  id,
  symbol,
  name,
  tags,
  kind: 'tracker',
  group: 'major',
  listed,
  cap0: 0,
  ...(tracks === undefined ? {} : { tracks }),
  turnover: 0.02,
  ...extra,
});

/** Stablecoins, pegged, wrapped, bridged and staking tokens: what the index must leave out. */
const NON_INDEX: readonly SimAssetSpec[] = [
  stable('tether', 'usdt', 'Tether', null, 100, ['stablecoin'], { overrides: { '2022-05-12': 0.975 }, turnover: 0.4, growth: 0.85 }),
  stable('dai', 'dai', 'Dai', '2017-12-27', 20, ['stablecoin'], { overrides: { '2020-03-12': 1.06, '2020-03-13': 1.03 }, growth: 0.9 }),
  stable('binance-usd', 'busd', 'Binance USD', '2019-09-20', 20, ['stablecoin'], { delisted: '2024-03-01', growth: 1.2 }),
  stable('true-usd', 'tusd', 'TrueUSD', '2018-03-06', 10, ['stablecoin'], { growth: 0.5 }),
  stable('terrausd', 'ust', 'TerraUSD', '2020-09-21', 50, ['stablecoin'], { collapse: { on: '2022-05-09', days: 7, total: 0.02 }, delisted: '2022-06-30', growth: 1.8 }),
  // No tag: only the price rule (within 2% of $1 on 90% of 30 days) keeps these out.
  stable('first-digital-usd', 'fdusd', 'First Digital USD', '2023-06-01', 100, [], { overrides: { '2025-04-02': 0.87, '2025-04-03': 0.97 }, growth: 1.2 }),
  stable('paypal-usd', 'pyusd', 'PayPal USD', '2023-08-07', 50, [], { growth: 0.8 }),
  stable('frax', 'frax', 'Frax', '2020-12-21', 100, ['stablecoin'], { growth: 0.6 }),
  stable('bridged-usdc-polygon-pos-bridge', 'usdc.e', 'Bridged USDC (Polygon PoS Bridge)', '2021-01-01', 50, ['bridged'], { growth: 0.5 }),
  { id: 'pax-gold', symbol: 'paxg', name: 'PAX Gold', tags: ['pegged'], kind: 'gold', group: 'major', listed: '2019-09-26', cap0: 20e6, turnover: 0.03 },
  { id: 'tether-gold', symbol: 'xaut', name: 'Tether Gold', tags: ['pegged'], kind: 'gold', group: 'major', listed: '2020-01-23', cap0: 10e6, turnover: 0.02 },
  tracker('wrapped-bitcoin', 'wbtc', 'Wrapped Bitcoin', '2019-01-30', ['wrapped'], { id: 'bitcoin', share: 0.009, ratioGrowth: 0 }),
  tracker('weth', 'weth', 'WETH', '2018-06-01', ['wrapped'], { id: 'ethereum', share: 0.02, ratioGrowth: 0 }),
  tracker('staked-ether', 'steth', 'Lido Staked Ether', '2020-12-20', ['staking'], { id: 'ethereum', share: 0.25, ratioGrowth: 0 }, { discount: ['2022-06-10', '2022-07-20', 0.95] }),
  // No tag: only the versioned denylist keeps these out.
  tracker('wrapped-steth', 'wsteth', 'Wrapped stETH', '2021-02-10', [], { id: 'ethereum', share: 0.08, ratioGrowth: 0.04 }),
  tracker('rocket-pool-eth', 'reth', 'Rocket Pool ETH', '2021-11-09', ['staking'], { id: 'ethereum', share: 0.01, ratioGrowth: 0.035 }),
  tracker('coinbase-wrapped-staked-eth', 'cbeth', 'Coinbase Wrapped Staked ETH', '2022-08-24', [], { id: 'ethereum', share: 0.02, ratioGrowth: 0.03 }),
];

const PREFIXES = ['aer', 'bel', 'cor', 'dra', 'elo', 'flux', 'gal', 'hyd', 'ion', 'jet', 'kai', 'lum', 'mor', 'nex', 'orb', 'pyr', 'qua', 'ryn', 'syl', 'tal', 'umb', 'vor', 'wex', 'xen', 'yar', 'zel'];
const SUFFIXES = ['on', 'ix', 'ara', 'um', 'os', 'eum', 'ex', 'ia', 'ar', 'io'];
const KINDS = ['Network', 'Protocol', 'Finance', 'Chain', 'Labs'];
const TAIL = 125;

/** The generated tail: deterministic names; listing, size and risk are drawn per seed by the simulator. */
function tail(): SimAssetSpec[] {
  const out: SimAssetSpec[] = [];
  for (let i = 0; i < TAIL; i++) {
    const stem = `${PREFIXES[i % PREFIXES.length] ?? 'x'}${SUFFIXES[Math.floor(i / PREFIXES.length) % SUFFIXES.length] ?? 'x'}`;
    const kind = KINDS[i % KINDS.length] ?? 'Network';
    const name = `${stem.charAt(0).toUpperCase()}${stem.slice(1)} ${kind}`;
    out.push({
      id: `${stem}-${kind.toLowerCase()}`,
      symbol: stem.slice(0, 4),
      name,
      tags: [],
      kind: 'coin',
      group: i % 9 === 0 ? 'meme' : 'mid',
      cap0: 0,
    });
  }
  return out;
}

/**
 * Every simulated asset, in a fixed order: bitcoin, ethereum and usd-coin first (so a simulation
 * limited to N assets keeps BTC and the bear asset), then the named coins, the non-index tokens
 * and the generated tail.
 */
export function simulatorCatalogue(): SimAssetSpec[] {
  const [eth, ...coins] = COINS.map(
    ([id, symbol, name, listed, cap, group]): SimAssetSpec => ({
      id,
      symbol,
      name,
      tags: [],
      kind: 'coin',
      group,
      ...(listed === null ? {} : { listed }),
      cap0: cap * 1e6,
      ...COIN_EXTRAS[id],
    }),
  );
  const head: SimAssetSpec[] = [
    { id: 'bitcoin', symbol: 'btc', name: 'Bitcoin', tags: [], kind: 'btc', group: 'major', cap0: 16e9, turnover: 0.04, gaps: { '2019-03-10': 1, '2022-01-15': 1 } },
  ];
  if (eth !== undefined) head.push(eth);
  head.push(
    stable('usd-coin', 'usdc', 'USDC', null, 200, ['stablecoin'], {
      overrides: { '2023-03-10': 0.97, '2023-03-11': 0.88, '2023-03-12': 0.96, '2023-03-13': 0.995 },
      turnover: 0.15,
      growth: 0.75,
      gapRate: 0,
    }),
  );
  // Interleave the non-index tokens among the coins so a limited simulation still has some.
  const named: SimAssetSpec[] = [];
  const rest = [...NON_INDEX];
  coins.forEach((c, i) => {
    named.push(c);
    if (i % 4 === 1) {
      const n = rest.shift();
      if (n !== undefined) named.push(n);
    }
  });
  return [...head, ...named, ...rest, ...tail()];
}
