/**
 * The real Linux serialport binding with a host UART's kernel driver in front of it: a baud rate the
 * modelled UART cannot produce is replaced by the previous one before it reaches termios, as Linux's
 * uart_get_baud_rate does (drivers/transport/host-uart-clock.ts). On a pseudo-terminal this makes the
 * slave's termios, and so TCGETS2 on either end, hold what a Raspberry Pi's kernel would hold.
 */
import { LinuxBinding, type LinuxBindingInterface } from '@serialport/bindings-cpp';
import type { HostUartClock } from '../../drivers/transport/host-uart-clock.js';

export function kernelUartBinding(hw: HostUartClock): LinuxBindingInterface {
  return {
    list: () => LinuxBinding.list(),
    async open(options) {
      const accepted = hw.accept(options.baudRate, 9600);
      const port = await LinuxBinding.open({ ...options, baudRate: accepted });
      let current = accepted;
      const update = port.update.bind(port);
      port.update = async ({ baudRate }) => {
        current = hw.accept(baudRate, current);
        await update({ baudRate: current });
      };
      return port;
    },
  };
}
