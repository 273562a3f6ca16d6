/**
 * The sim-only ticket difficulty (never sent to a chip): a CPU cannot reach difficulty 1 in real time,
 * so simulated chains report nonces at a difficulty below 1 chosen for a useful nonce rate.
 */

/** The power of two giving about `perSecond` nonces per second at `hashrate` H/s. */
export function autoSimTicketDifficulty(hashrate: number, perSecond = 10): number {
  return 2 ** Math.floor(Math.log2(hashrate / (2 ** 32 * perSecond)));
}
