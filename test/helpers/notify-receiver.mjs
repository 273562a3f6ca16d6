// Plays systemd's end of sd_notify: run by `systemd-socket-activate --datagram -l PATH`, which binds the
// AF_UNIX SOCK_DGRAM socket and hands it over as fd 3 (Node cannot bind one itself). Each read(2) on it
// returns one datagram; each is printed as one JSON string line. Control data (the pipe a
// sd_notify_barrier() sends with BARRIER=1) is dropped by read(2), which closes that fd: the barrier
// completes, as it does when PID 1 has processed the message.
import { readSync } from 'node:fs';

const buf = Buffer.alloc(65536);
for (;;) {
  let n;
  try {
    n = readSync(3, buf, 0, buf.length, null);
  } catch (err) {
    if (err.code !== 'EAGAIN') throw err;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    continue;
  }
  process.stdout.write(JSON.stringify(buf.subarray(0, n).toString('utf8')) + '\n');
}
