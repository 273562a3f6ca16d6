/**
 * The agent process's own health for `/metrics`: CPU seconds, resident memory, heap, open file
 * descriptors and event-loop lag. The names are the ones Prometheus client libraries use
 * (`process_*` from the client-library guidelines, "Process metrics"; `nodejs_eventloop_lag_*` as
 * prom-client spells them), so existing Node.js dashboards read them unchanged.
 *
 * Event-loop lag is what mining feels first: a UART read or a pool message waits that long. It comes
 * from perf_hooks.monitorEventLoopDelay (a libuv timer sampling every `resolutionMs`), reset at each
 * read so that every scrape covers the time since the previous one.
 */
import { readdirSync } from 'node:fs';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

export interface ProcessFigures {
  cpuUserSeconds: number;
  cpuSystemSeconds: number;
  residentBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  /** Unix seconds the process started. */
  startTimeSeconds: number;
  /** Linux only (/proc/self/fd). */
  openFds?: number;
  /** Event-loop delay since the previous read, seconds. */
  lag?: { mean: number; p99: number; max: number };
}

export class ProcessMetrics {
  private readonly histogram: IntervalHistogram;
  private readonly startTime = Date.now() / 1000 - process.uptime();

  constructor(resolutionMs = 20) {
    this.histogram = monitorEventLoopDelay({ resolution: resolutionMs });
    this.histogram.enable();
  }

  read(): ProcessFigures {
    const cpu = process.cpuUsage();
    const mem = process.memoryUsage();
    const out: ProcessFigures = {
      cpuUserSeconds: cpu.user / 1e6,
      cpuSystemSeconds: cpu.system / 1e6,
      residentBytes: mem.rss,
      heapUsedBytes: mem.heapUsed,
      heapTotalBytes: mem.heapTotal,
      startTimeSeconds: this.startTime,
    };
    try {
      out.openFds = readdirSync('/proc/self/fd').length;
    } catch {
      // Not Linux: leave it out.
    }
    const h = this.histogram;
    // The histogram holds nanoseconds; it is empty until the first sample after enable()/reset().
    if (h.count > 0) out.lag = { mean: h.mean / 1e9, p99: h.percentile(99) / 1e9, max: h.max / 1e9 };
    h.reset();
    return out;
  }

  close(): void {
    this.histogram.disable();
  }
}
