/**
 * The Board as the tuner sees it (TunedBoard): the rail through Board.setCoreVoltage, the power reading
 * of the board's power monitor (the input, INA260) or, without one, the regulator's VOUT × IOUT (the
 * chips' power), the hottest chip/board temperature and the thermal policy's hot verdict. Readings carry
 * the time of the board's sample they came from, so the tuner can wait for one taken after its writes.
 */
import type { Board, BoardStatus } from '../board/board.js';
import type { Clock } from '../clock.js';
import type { TunedBoard } from './tuner-ports.js';

export type PowerSource = 'power-monitor' | 'regulator' | 'none';

export interface BoardPort extends TunedBoard {
  source(): PowerSource;
  close(): void;
}

function wattsOf(st: BoardStatus): { watts: number; source: PowerSource } | undefined {
  if (st.power) return { watts: st.power.watts, source: 'power-monitor' };
  const r = st.regulator;
  if (r && !r.off) return { watts: r.vout * r.iout, source: 'regulator' };
  return undefined;
}

export function boardPort(board: Board, clock: Clock): BoardPort {
  let last: { watts: number; at: number } | null = null;
  let src: PowerSource = 'none';
  const onSample = (st: BoardStatus): void => {
    const w = wattsOf(st);
    if (w) {
      last = { watts: w.watts, at: clock.now() };
      src = w.source;
    } else last = null;
  };
  board.on('sample', onSample);
  return {
    volts: () => board.coreVoltage(),
    setVolts: (v) => board.setCoreVoltage(v),
    power: () => last,
    tempC: () => board.controlTemperature(),
    hot: () => board.status().level !== 'normal',
    running: () => board.getPhase() === 'running',
    source: () => src,
    close: () => {
      board.off('sample', onSample);
    },
  };
}
