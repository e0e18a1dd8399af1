/**
 * Wrapped, bridged and liquid-staking tokens kept out of the index even without a tag: data
 * providers do not tag reliably. Versioned, so a backtest names the list it used; a change to the
 * list is a new version with a dated entry in docs/methodology.md.
 */
export interface Denylist {
  readonly version: string;
  readonly ids: ReadonlySet<string>;
}

/** The current denylist. */
export const DENYLIST: Denylist = {
  version: '2025-06-01',
  ids: new Set([
    // Wrapped
    'wrapped-bitcoin',
    'weth',
    'wbnb',
    'wrapped-solana',
    'wrapped-avax',
    'coinbase-wrapped-btc',
    'binance-bitcoin',
    // Liquid staking and restaking
    'staked-ether',
    'wrapped-steth',
    'rocket-pool-eth',
    'coinbase-wrapped-staked-eth',
    'wrapped-eeth',
    'ether-fi-staked-eth',
    'mantle-staked-ether',
    'wrapped-beacon-eth',
    'jito-staked-sol',
    'msol',
    'binance-staked-sol',
    'kelp-dao-restaked-eth',
    'renzo-restaked-eth',
    'lombard-staked-btc',
    'solv-btc',
    // Bridged
    'bridged-usdc-polygon-pos-bridge',
    'binance-peg-weth',
    'arbitrum-bridged-wbtc-arbitrum-one',
  ]),
};
