/**
 * What a host's UART really does with a baud rate: which rates its kernel driver accepts, which bit rate
 * the divider then produces, and whether a frame sent at one rate survives a receiver at another. Pure
 * math, used by check-config (can this board's UART do the chain's baud?), by MemoryUart and by the chain
 * simulator (frames at a wrong rate arrive as garbage).
 *
 * Kernel side (Linux drivers/tty/serial/serial_core.c, uart_get_baud_rate, torvalds/linux@0013eec9827d):
 * a rate above the driver's maximum is not refused. The driver falls back to the previous rate and writes
 * that rate into the termios, so TCGETS2 afterwards reports what the line really runs at, while a port
 * object that only remembers what it asked for still says the new rate.
 *
 * - PL011 (amba-pl011.c pl011_set_termios, torvalds/linux@0139da50dc53): maximum uartclk/16; divisor
 *   quot = DIV_ROUND_CLOSEST(uartclk·4, baud) in 1/64 steps (IBRD = quot >> 6, FBRD = quot & 63); the
 *   line runs at uartclk·4/quot. A Raspberry Pi clocks it at 48 MHz: at most 3,000,000 baud.
 * - Pi mini UART (8250_bcm2835aux.c, raspberrypi/linux@0848482349e9): the 8250 core sees uartclk = 2 × the
 *   VPU core clock and divides by 16·quot, quot = DIV_ROUND_CLOSEST(uartclk, 16·baud); enable_uart=1 fixes
 *   the core clock at 250 MHz (raspberrypi/documentation uart.adoc@5043186a11dd).
 */

export interface HostUartClock {
  /** For messages: "PL011 at 48 MHz". */
  readonly name: string;
  /** Highest rate the driver accepts (uart_get_baud_rate's max). */
  readonly maxBaud: number;
  /** Receiver oversampling (samples per bit) for the frame tolerance. */
  readonly oversampling: number;
  /** The rate the driver keeps in termios when `requested` is asked while `previous` is set. */
  accept(requested: number, previous: number): number;
  /** The bit rate the divider produces for an accepted rate. */
  lineRate(accepted: number): number;
}

/** uart_get_baud_rate's rule: in range → the request; otherwise the previous rate when it is in range. */
function fallback(requested: number, previous: number, max: number): number {
  if (requested > 0 && requested <= max) return requested;
  if (previous > 0 && previous <= max) return previous;
  return max - 1;
}

/** A host that produces any rate exactly (a pseudo-terminal, or a USB adapter with a fine divider). */
export const EXACT_HOST_UART: HostUartClock = Object.freeze({
  name: 'exact',
  maxBaud: Number.POSITIVE_INFINITY,
  oversampling: 16,
  accept: (requested: number) => requested,
  lineRate: (accepted: number) => accepted,
});

/** An ARM PL011 whose UARTCLK is `clockHz` (a Raspberry Pi's is 48 MHz). */
export function pl011(clockHz = 48_000_000): HostUartClock {
  const max = clockHz / 16;
  return {
    name: `PL011 at ${clockHz / 1e6} MHz`,
    maxBaud: max,
    oversampling: 16,
    accept: (requested, previous) => fallback(requested, previous, max),
    lineRate(accepted) {
      const quot = Math.round((clockHz * 4) / accepted);
      return (clockHz * 4) / Math.max(1, quot);
    },
  };
}

/** The Raspberry Pi mini UART (an 8250 with a divide-by-8 clock) on a VPU core clock of `coreHz`. */
export function miniUart(coreHz = 250_000_000): HostUartClock {
  const uartclk = coreHz * 2;
  const max = uartclk / 16;
  return {
    name: `mini UART at a ${coreHz / 1e6} MHz core clock`,
    maxBaud: max,
    oversampling: 8,
    accept: (requested, previous) => fallback(requested, previous, max),
    lineRate(accepted) {
      const quot = Math.max(1, Math.round(uartclk / (16 * accepted)));
      return uartclk / (16 * quot);
    },
  };
}

/** Bits in one 8N1 character: start, 8 data, stop. */
const FRAME_BITS = 10;

/**
 * Whether a character sent at `txBaud` is read intact by a receiver at `rxBaud` that finds the start
 * edge within 1/oversampling of a bit and samples every bit at its nominal middle: the stop bit's sample,
 * 9.5 receiver bits (plus the edge uncertainty) after the edge, must still fall inside the sender's stop
 * bit. That allows the receiver about 4.4 % slower (16× oversampling; 3.9 % at 8×) or 5.3 % faster.
 */
export function uartFrameIntact(txBaud: number, rxBaud: number, oversampling: number): boolean {
  if (!(txBaud > 0) || !(rxBaud > 0)) return false;
  // Receiver bit time in units of the sender's bit time.
  const ratio = txBaud / rxBaud;
  const lastSample = FRAME_BITS - 0.5;
  return ratio * lastSample >= FRAME_BITS - 1 && ratio * (lastSample + 1 / oversampling) < FRAME_BITS;
}

/**
 * What a receiver makes of `data` sent at the wrong rate: bytes of a plausible count (scaled by the rate
 * ratio) whose values have nothing to do with the original, deterministic so that tests repeat.
 */
export function garbleAtWrongRate(data: Uint8Array, txBaud: number, rxBaud: number): Uint8Array {
  const keep = Math.max(0, Math.round((data.length * Math.min(txBaud, rxBaud)) / Math.max(txBaud, rxBaud)));
  const out = new Uint8Array(keep);
  for (let i = 0; i < keep; i++) {
    const b = data[Math.min(data.length - 1, Math.floor((i * data.length) / Math.max(1, keep)))] as number;
    out[i] = ((b * 167 + 13) ^ (i * 29)) & 0xff;
  }
  return out;
}
