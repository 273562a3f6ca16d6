/**
 * The block subsidy: 50 BTC halving every 210 000 blocks (Bitcoin Core GetBlockSubsidy, mainnet and
 * testnet; regtest halves every 150 blocks, which callers pass as `interval`).
 */
export const HALVING_INTERVAL = 210_000;

export function blockSubsidy(height: number, interval = HALVING_INTERVAL): bigint {
  if (!Number.isInteger(height) || height < 0) throw new RangeError(`height must be a non-negative integer, got ${height}`);
  const halvings = Math.floor(height / interval);
  // Core: a right shift by 64 or more is undefined in C++, so the subsidy is forced to zero.
  if (halvings >= 64) return 0n;
  return 5_000_000_000n >> BigInt(halvings);
}
