/**
 * The lab JDS's own Bitcoin node, as far as the pool's side needs one: the chain tip it builds on.
 * A real pool's node sees a new block some time after the miner's node does (always, when the miner
 * found it), so for a while the pool's JDS answers a declaration on the new tip with `stale-chain-tip`.
 * This node follows a source of tips (the lab Template Provider in process, or any Template Provider over
 * Template Distribution) with a configurable lag, so that the lab shows exactly that race.
 */
import type { Clock, TimerHandle } from '../../src/clock.js';
import { logger, type Logger } from '../../src/log.js';
import { TypedEmitter } from '../../src/typed-emitter.js';
import { toHex } from '../../src/work/bytes.js';
import { TemplateDistributionClient } from '../../src/upstream/sv2/template-client.js';
import { bip34Height } from './block-data.js';
import type { TemplateProvider } from './template-provider.js';

/** The block being built: on `prevHash`, at `height` (what a coinbase must commit to, BIP34). */
export interface ChainTip {
  prevHash: Uint8Array;
  height: number;
}

export interface LaggingNodeOptions {
  clock: Clock;
  /** How long after the source this node sees a new tip (0 = at once). */
  lagMs: number;
  log?: Logger;
}

export class LaggingNode extends TypedEmitter<{ tip: [t: ChainTip] }> {
  private current: ChainTip | undefined;
  private readonly timers = new Set<TimerHandle>();
  private readonly log: Logger;
  private detach: (() => void) | undefined;

  constructor(private readonly o: LaggingNodeOptions) {
    super();
    this.log = o.log ?? logger('lab.node');
  }

  /** The tip this node builds on now (undefined before it heard of any). */
  tip(): ChainTip | undefined {
    return this.current;
  }

  /** The source saw `t` now; this node sees it `lagMs` later, in order (`atOnce`: the first sync). */
  observe(t: ChainTip, atOnce = false): void {
    const tip = { prevHash: t.prevHash.slice(), height: t.height };
    if (atOnce || this.o.lagMs <= 0) return this.apply(tip);
    const h = this.o.clock.setTimeout(() => {
      this.timers.delete(h);
      this.apply(tip);
    }, this.o.lagMs);
    this.timers.add(h);
  }

  /** Follows a lab Template Provider in the same process. */
  followTemplateProvider(tp: TemplateProvider): void {
    const r = tp.currentRound;
    this.observe({ prevHash: r.prevHash, height: r.height }, true);
    const on = (t: ChainTip): void => this.observe(t);
    tp.on('tip', on);
    this.detach = () => tp.off('tip', on);
  }

  /** Follows any Template Provider over Template Distribution (a separate lab TP process, sv2-tp). */
  followTemplateDistribution(o: { url: string; allowUnauthenticated?: boolean; plain?: boolean }): void {
    const client = new TemplateDistributionClient({
      url: o.url,
      clock: this.o.clock,
      constraints: { maxAdditionalSize: 256, maxAdditionalSigops: 4 },
      ...(o.allowUnauthenticated !== undefined ? { allowUnauthenticated: o.allowUnauthenticated } : {}),
      ...(o.plain !== undefined ? { plain: o.plain } : {}),
    });
    let first = true;
    client.on('template', (t) => {
      if (!t.newPrevHash) return;
      const height = bip34Height(t.template.coinbasePrefix);
      if (height === undefined) return;
      this.observe({ prevHash: t.prevHash, height }, first);
      first = false;
    });
    client.start();
    this.detach = () => client.stop('node stopped');
  }

  stop(): void {
    for (const h of this.timers) this.o.clock.clearTimeout(h);
    this.timers.clear();
    this.detach?.();
    this.detach = undefined;
  }

  private apply(t: ChainTip): void {
    this.current = t;
    this.log.info({ height: t.height, prevHash: toHex(t.prevHash.slice().reverse()), lagMs: this.o.lagMs }, 'pool node: new chain tip');
    this.emit('tip', t);
  }
}
