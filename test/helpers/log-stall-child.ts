/**
 * Child process of test/integration/thermal-loop-under-load.test.ts (issue 21 D3): the simulated board's
 * thermal loop on the real clock, the local APIs, and this process's JSON log on stdout, which the parent
 * never reads (journald that has stopped reading). It floods its own APIs with connections and logs
 * far more than the pipe holds, counts the board's samples, and reports over IPC. If logging blocks
 * the event loop, this process freezes and never reports.
 */
import * as net from 'node:net';
import { startLocalApi } from '../../src/api/local-api.js';
import { resolveApiOptions } from '../../src/api/api-options.js';
import { createBoardRuntime } from '../../src/board/runtime.js';
import { simulatedBoard } from '../../workshop/sim/simulated-parts.js';
import * as log from '../../src/log.js';
import { RecordingControl, sampleSnapshot } from './api-snapshot.js';
import { simRunConfig } from './sim-board.js';

const SAMPLES_UNDER_LOAD = 20;
/** Far more than a pipe (64 KiB) plus any sane log buffer. */
const LOG_BYTES = 8 << 20;

const send = (m: unknown): void => void process.send?.(m);

async function main(): Promise<void> {
  const rt = await createBoardRuntime(simRunConfig(), { simulated: simulatedBoard });
  const board = rt.board;
  await board.start();
  const api = await startLocalApi(resolveApiOptions({ cgminer: { port: 0 }, http: { port: 0 } }), {
    snapshot: sampleSnapshot,
    control: new RecordingControl(),
  });
  const cgPort = Number(api.addresses.cgminer?.split(':').at(-1));
  const httpPort = Number(api.addresses.http?.split(':').at(-1));

  // The flood: connections over every limit, again and again, and a log storm.
  let flooding = true;
  const storm = log.logger('storm');
  const pad = 'x'.repeat(400);
  let logged = 0;
  const floodOnce = (): void => {
    for (let i = 0; i < 50; i++) {
      for (const port of [cgPort, httpPort]) {
        const s = net.connect({ host: '127.0.0.1', port, localAddress: '127.0.0.2' });
        s.on('error', () => undefined);
        s.on('connect', () => s.write('GET / HTTP/1.1\r\n'));
        setTimeout(() => s.destroy(), 2000);
      }
    }
    for (let i = 0; i < 500; i++) {
      storm.info({ i, pad }, 'log storm');
      logged += 480;
    }
    if (flooding) setTimeout(floodOnce, 20);
  };
  floodOnce();

  const gaps: number[] = [];
  let last: number | undefined;
  let counted = 0;
  board.on('sample', () => {
    const now = performance.now();
    if (logged < LOG_BYTES) {
      last = now;
      return;
    }
    if (last !== undefined) gaps.push(now - last);
    last = now;
    if (++counted < SAMPLES_UNDER_LOAD) return;
    flooding = false;
    const dropped = 'droppedLogRecords' in log ? (log as { droppedLogRecords: () => number }).droppedLogRecords() : 0;
    send({
      samples: counted,
      maxGapMs: Math.max(...gaps),
      meanGapMs: gaps.reduce((a, b) => a + b, 0) / gaps.length,
      pollMs: rt.config.board.control.poll_ms,
      loggedBytes: logged,
      dropped,
      phase: board.getPhase(),
    });
    setTimeout(() => process.exit(0), 100);
  });
}

main().catch((err: unknown) => {
  send({ error: err instanceof Error ? err.stack : String(err) });
  process.exit(1);
});
