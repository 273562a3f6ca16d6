/** Long-running commands (lab servers) run until SIGINT or SIGTERM. */

/** Resolves on the first SIGINT or SIGTERM, then removes both listeners (a second signal acts as usual). */
export function untilStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const done = (sig: NodeJS.Signals): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve(sig);
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}
