// Bench testing a real chain (issue 15): each part of a board-config names its own backend, so a chain on
// a real UART runs on an otherwise simulated board (here the real serialport binding on a pseudo-terminal
// with a simulated chain behind it, standing in for a hashboard on the bench), contradictions are
// check-config errors, and the ticket difficulty and the minimum chip count are board-config keys.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { startPtySim } from '../../workshop/sim/bm13xx/pty.js';
import { Agent, chainSpecs } from '../../src/agent/agent.js';
import { simulatedParts } from '../../workshop/sim/simulated-parts.js';
import { ConfigError } from '../../src/config/config-error.js';
import { loadRunConfig } from '../../src/config/run-config.js';
import { TEST_SIM_TICKET } from '../helpers/bm13xx.js';
import { waitFor } from '../helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'asic-bench-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const SIM_BOARD = readFileSync(new URL('../../board-configs/sim-bm1370.toml', import.meta.url), 'utf8');

/** The shipped sim-bm1370 board with its chain tables replaced. */
function board(name: string, chains: string, extra: (s: string) => string = (s) => s): string {
  const head = SIM_BOARD.slice(0, SIM_BOARD.indexOf('[[chain]]'));
  const tail = SIM_BOARD.slice(SIM_BOARD.indexOf('[gpio]'));
  const file = join(dir, `${name}.toml`);
  writeFileSync(file, extra(`${head}${chains}\n${tail}`));
  return file;
}

function issues(file: string): string {
  try {
    loadRunConfig(file);
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  return 'ok';
}

test('a /dev/ chain on a simulated board is a real UART; a sim: chain gets a simulator; asic keys reach the chain', () => {
  const file = board(
    'mixed',
    `[[chain]]\nuart = "/dev/ttyUSB7"\n\n[[chain]]\nuart = "sim:chain1"\nreset = { chip = "sim-gpio", line = 1, active_low = true }\n`,
    (s) => s.replace('voltage_domains = 4 ', 'voltage_domains = 4\nticket_difficulty = 64\nmin_chips = 3 '),
  );
  const specs = chainSpecs(loadRunConfig(file));
  assert.equal(specs[0]?.uart, '/dev/ttyUSB7');
  assert.equal(specs[0]?.simulated, false, 'the real chain is not replaced by a simulator');
  assert.equal(specs[1]?.simulated, true, 'the sim: chain is simulated');
  assert.equal(specs[0]?.ticketDifficulty, 64);
  assert.equal(specs[0]?.minChips, 3);
});

test('contradictions between parts and backends are check-config errors', () => {
  const realWithSimReset = board('real-sim-reset', `[[chain]]\nuart = "/dev/ttyS3"\nreset = { chip = "sim-gpio", line = 0, active_low = true }\n`);
  assert.match(issues(realWithSimReset), /chain\[0\]\.reset: \/dev\/ttyS3 is a real chain: its reset line on "sim-gpio" would never reach the chips/);
  const simWithRealReset = board('sim-real-reset', `[[chain]]\nuart = "sim:c0"\nreset = { chip = "pinctrl-bcm2711", line = 17, active_low = true }\n`);
  assert.match(issues(simWithRealReset), /chain\[0\]\.reset: a simulated chain's reset line must be on "sim-gpio"/);
  const noSim = board('no-sim', `[[chain]]\nuart = "sim:c0"\n`, (s) => s.slice(0, s.indexOf('\n[sim]\n') + 1));
  const m = issues(noSim);
  assert.match(m, /chain\[0\]\.uart: sim:c0 is a simulated chain, and this board-config has no \[sim\] section/);
  assert.match(m, /i2c\.bus: "sim" means simulated I2C devices/);
  assert.match(m, /gpio\.power_enable: "sim-gpio" lines need a \[sim\] section/);
  const nothingSimulated = board('nothing', `[[chain]]\nuart = "/dev/ttyS3"\n`, (s) =>
    s
      .replace('bus = "sim" ', 'bus = 1 ')
      .replace(
        'power_enable = { chip = "sim-gpio", line = 2, active_low = true }',
        'power_enable = { chip = "pinctrl-bcm2711", line = 27, active_low = true }',
      ),
  );
  assert.match(issues(nothingSimulated), /sim: describes a simulated board, but no part is simulated/);
  const badTicket = board('ticket', `[[chain]]\nuart = "sim:c0"\n`, (s) =>
    s.replace('voltage_domains = 4 ', 'voltage_domains = 4\nticket_difficulty = 100\nmin_chips = 5 '),
  );
  const t = issues(badTicket);
  assert.match(t, /asic\.ticket_difficulty: 100 is not a power of two/);
  assert.match(t, /asic\.min_chips: 5 is more than the 4 chips per chain/);
});

test('the agent runs a real-UART chain on a simulated board: the chain comes up through the real binding, without a reset line', async () => {
  const ps = await startPtySim({ family: 'BM1370', chips: 4, simTicketDifficulty: TEST_SIM_TICKET });
  const file = board('bench', `[[chain]]\nuart = "${ps.hostPath}"\n`, (s) => s.replace(/^frequency_mhz = 525$/m, 'frequency_mhz = 75'));
  const agent = new Agent({ config: loadRunConfig(file), noApi: true, simulated: simulatedParts });
  try {
    await agent.open();
    assert.ok(agent.rt.sim, 'the peripherals are simulated');
    await agent.startBoard();
    const c = agent.chains.chains[0];
    assert.ok(c);
    await waitFor(() => c.state === 'running' || c.bringUpFailures > 0, 'the real-UART chain to come up', 60_000);
    assert.equal(c.lastError, undefined);
    assert.equal(c.state, 'running');
    assert.equal(c.device, undefined);
    assert.equal(c.up?.chipCount, 4);
    assert.ok(ps.sim.stats().host.commands > 0, 'the frames went through the pseudo-terminal');
    assert.ok(ps.sim.stats().baud > 1_000_000, 'the chips were switched to the fast baud');
  } finally {
    await agent.rt?.board.shutdown('stop');
    await agent.close();
    await ps.close();
  }
});
