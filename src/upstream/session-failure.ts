/**
 * Why an upstream session ended, as a typed category plus a human detail. Every upstream (SV2 mining
 * client, TP and JDS links, SV1 client, JD upstream) reports its failures this way, and the pool
 * manager decides failover from the category alone; the detail is for logs and the API.
 */

/** How far a session got before it failed, or who ended it. */
export const FAILURE_CATEGORIES = [
  /** TCP connect refused, timed out, or the peer's address is not allowed. */
  'connect-failed',
  /** Noise handshake or certificate check failed (SV2), or the subscribe was refused (SV1). */
  'handshake-failed',
  /** SetupConnection, the channel or the worker was refused. */
  'authorize-failed',
  /** The session was up and went down. */
  'disconnected',
  /** The peer broke the protocol too often, or sent what no pool should (an absurd difficulty). */
  'protocol-error',
  /** The pool's work cannot be mined by these chips (e.g. a fixed version on a standard channel). */
  'unusable',
  /** The peer asked us to reconnect (SV2 Reconnect, SV1 client.reconnect): not a failure. */
  'reconnect-requested',
  /** Closed by us. */
  'stopped',
] as const;
export type FailureCategory = (typeof FAILURE_CATEGORIES)[number];

export interface SessionFailure {
  category: FailureCategory;
  /** What happened, for people: `ECONNREFUSED`, `setup refused: unsupported-protocol`. */
  detail: string;
}

export function sessionFailure(category: FailureCategory, detail: string): SessionFailure {
  return { category, detail };
}

/** One line for logs and the API: `connect-failed: ECONNREFUSED`. */
export function failureText(f: SessionFailure | undefined): string | undefined {
  return f ? `${f.category}: ${f.detail}` : undefined;
}
