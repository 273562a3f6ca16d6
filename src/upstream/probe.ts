/**
 * What a protocol's pool probe takes and reports (`asic-agent probe`, src/cli/probe.ts): each protocol
 * module (sv1/probe.ts, sv2/probe.ts) implements `Prober`. Defined here, beside the probes, so that the
 * protocol layer imports nothing of the command line.
 */
import type { CpuMining } from '../mining/cpu-mining.js';

export interface ProbeOptions {
  url: string;
  user: string;
  password: string;
  channel: 'standard' | 'extended';
  cpuMine: boolean;
  /** The CPU miner for cpuMine (the workshop's, handed over by the command line). */
  cpuMining?: CpuMining;
  seconds: number;
  /** Allow an SV2 URL without an authority key (private networks only). */
  allowUnauthenticated: boolean;
  /** TLS pools (stratum+ssl): PEM CA file that signs the pool's certificate. */
  tlsCaFile?: string;
  /** TLS pools: accept any certificate (lab only). */
  tlsInsecure?: boolean;
  /** SV2 without Noise (a pool's plain test port); needs allowUnauthenticated as well. */
  plain?: boolean;
  /** With cpuMine: stop as soon as this many shares are accepted (still at most `seconds`). */
  untilAccepted?: number;
  /** Hashrate to announce (H/s); default: measured CPU rate with --cpu-mine, else a typical ASIC. */
  hashrate?: number;
  /** Human-readable progress lines (printed before the JSON line). */
  say: (line: string) => void;
}

export interface ProbeResult {
  url: string;
  protocol: string;
  /** "ok" or the reason the handshake (connection, Noise, certificate, setup, authorize) failed. */
  handshake: string;
  channel: string | null;
  difficulty: number | null;
  jobs: number;
  accepted: number;
  rejected: number;
  [extra: string]: unknown;
}

export type Prober = (opts: ProbeOptions) => Promise<ProbeResult>;
