/**
 * Who may use the cgminer API's write commands:
 *   1. the client address is in `write.allow` (cgminer's `--api-allow W:<subnet>`), always; and
 *   2. unless `require_token = false` (cgminer's own model, which standard clients expect), the request
 *      carries the configured token, either as a `token` field of a JSON request or, the LuxOS session
 *      way, as the first comma-separated element of the parameter:
 *        {"command":"switchpool","parameter":"1","token":"T"}
 *        {"command":"switchpool","parameter":"T,1"}      switchpool|T,1      restart|T
 * Anything else is cgminer's "Access denied to 'X' command" (code 45); the log says which rule failed,
 * never the token. docs/api.md weighs the risk of each model.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { addressAllowList, type AddressAllowList } from './address-allow.js';
import type { WriteAccessOptions } from './api-options.js';
import type { CgminerRequest } from './cgminer-request.js';

export type DenyReason = 'write-disabled' | 'address-not-allowed' | 'no-token' | 'bad-token';

export type AccessDecision = { ok: true; parameter?: string } | { ok: false; reason: DenyReason };

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

export class WriteAccess {
  private readonly allow: AddressAllowList;
  private readonly tokenDigest?: Buffer;

  constructor(private readonly o: WriteAccessOptions) {
    this.allow = addressAllowList(o.allow);
    if (o.token !== undefined) this.tokenDigest = digest(o.token);
  }

  get enabled(): boolean {
    return this.o.enabled && (this.tokenDigest !== undefined || this.o.requireToken === false);
  }

  /** The address alone grants writes (cgminer's model). */
  get addressOnly(): boolean {
    return this.o.requireToken === false;
  }

  /** Write access is possible at all from this address (cgminer `check` "Access"). */
  addressAllowed(address: string | undefined): boolean {
    return this.enabled && this.allow.allows(address);
  }

  /** Decides a write request; on success returns the parameter with the token taken off. */
  authorize(address: string | undefined, req: CgminerRequest): AccessDecision {
    if (!this.enabled) return { ok: false, reason: 'write-disabled' };
    if (!this.allow.allows(address)) return { ok: false, reason: 'address-not-allowed' };
    if (this.addressOnly) return req.parameter === undefined ? { ok: true } : { ok: true, parameter: req.parameter };
    if (!this.tokenDigest) return { ok: false, reason: 'write-disabled' };
    let token: string | undefined;
    let parameter: string | undefined = req.parameter;
    if (req.token !== undefined) token = req.token;
    else if (req.parameter !== undefined) {
      const comma = req.parameter.indexOf(',');
      token = comma < 0 ? req.parameter : req.parameter.slice(0, comma);
      parameter = comma < 0 ? undefined : req.parameter.slice(comma + 1);
    }
    if (token === undefined || token === '') return { ok: false, reason: 'no-token' };
    // Compare digests in constant time: no timing signal about how much of the token matched.
    if (!timingSafeEqual(digest(token), this.tokenDigest)) return { ok: false, reason: 'bad-token' };
    return parameter === undefined ? { ok: true } : { ok: true, parameter };
  }
}
