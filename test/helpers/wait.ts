/**
 * Waiting in integration tests: poll a condition until it holds or a generous deadline passes. The
 * deadline only turns a hang into a failure with a message; no test asserts on how long anything took.
 */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 120_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Resolves with the first event value that satisfies `pred`. */
export function nextEvent<T extends unknown[]>(
  on: (listener: (...args: T) => void) => void,
  off: (listener: (...args: T) => void) => void,
  pred: (...args: T) => boolean,
  what: string,
  timeoutMs = 120_000,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      off(listener);
      reject(new Error(`timed out waiting for: ${what}`));
    }, timeoutMs);
    const listener = (...args: T): void => {
      if (!pred(...args)) return;
      clearTimeout(timer);
      off(listener);
      resolve(args);
    };
    on(listener);
  });
}
