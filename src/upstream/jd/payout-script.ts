/**
 * The miner's payout for solo mining: a Bitcoin address of the configured network, decoded to its
 * output script with @scure/btc-signer (base58check P2PKH/P2SH, bech32 P2WPKH/P2WSH, bech32m P2TR),
 * or a raw output script in hex for anything else.
 */
import { Address, NETWORK, OutScript, TEST_NETWORK } from '@scure/btc-signer';
import { fromHex, isHex } from '../../work/bytes.js';

export type BitcoinNetwork = 'mainnet' | 'testnet' | 'testnet4' | 'signet' | 'regtest';

export const BITCOIN_NETWORKS: readonly BitcoinNetwork[] = ['mainnet', 'testnet', 'testnet4', 'signet', 'regtest'];

/** sv2-tp's default Template Distribution port per network (docs/sv2.md "Values and their sources"). */
export const TEMPLATE_PROVIDER_PORTS: Record<BitcoinNetwork, number> = { mainnet: 8442, testnet: 18442, testnet4: 48442, signet: 38442, regtest: 18447 };

export class PayoutScriptError extends Error {
  override readonly name = 'PayoutScriptError';
}

function networkParams(n: BitcoinNetwork): typeof NETWORK {
  if (n === 'mainnet') return NETWORK;
  // testnet3, testnet4 and signet share prefixes; regtest has its own bech32 HRP.
  if (n === 'regtest') return { ...TEST_NETWORK, bech32: 'bcrt' };
  return TEST_NETWORK;
}

/** An address of `network` -> its output script. Throws PayoutScriptError. */
export function addressToScript(address: string, network: BitcoinNetwork): Uint8Array {
  try {
    return OutScript.encode(Address(networkParams(network)).decode(address.trim()));
  } catch (err) {
    throw new PayoutScriptError(`${JSON.stringify(address)} is not a valid ${network} address (${err instanceof Error ? err.message : String(err)})`);
  }
}

/** A hex output script, checked to be a script OutScript understands or at least 1..10 000 bytes. */
export function hexToScript(hex: string): Uint8Array {
  const h = hex.trim().replace(/^0x/i, '');
  if (!isHex(h) || h.length === 0) throw new PayoutScriptError('payout_script must be hex');
  const s = fromHex(h);
  // Consensus caps scripts at 10 000 bytes (MAX_SCRIPT_SIZE); an output script is far smaller in practice.
  if (s.length > 10_000) throw new PayoutScriptError('payout_script is longer than 10 000 bytes');
  return s;
}
