/**
 * `asic-agent decode [--chip FAMILY] [--layout be|le] HEX…` (or hex on stdin, one frame per line): the
 * BM13xx protocol analyser. Prints one JSON object per frame: kind (command, job, register-reply, nonce,
 * invalid), every field by name, and whether the CRC is right. For reading logic-analyser captures.
 * A line holding several frames back to back is split into them.
 */
import { createInterface } from 'node:readline';
import { fromHex, HexError } from '../work/bytes.js';
import { familyByName, UnknownFamilyError, type ChipFamily } from '../../drivers/asic/bm13xx/family.js';
import { decodeFrame, splitFrames } from '../../drivers/asic/bm13xx/frame-decoder.js';
import { ESP_MINER_NONCE_LAYOUT, type NonceLayout } from '../../drivers/asic/bm13xx/nonce-layout.js';
import { toHex } from '../work/bytes.js';
import { UsageError, type Command } from './command.js';

/** Accepts "55 AA 52 05", "55:aa:52", "0x55,0xAA", "55aa5205...". */
export function parseHexFrame(text: string): Uint8Array {
  const clean = text.replace(/0x/gi, '').replace(/[\s,:;-]/g, '');
  return fromHex(clean);
}

/** Decodes one input line into output JSON lines. */
export function decodeLine(line: string, family: ChipFamily | undefined, layout: NonceLayout): string[] {
  let bytes: Uint8Array;
  try {
    bytes = parseHexFrame(line);
  } catch (err) {
    return [JSON.stringify({ kind: 'invalid', crcOk: false, error: err instanceof HexError ? err.message : String(err), input: line.slice(0, 80) })];
  }
  if (bytes.length === 0) return [];
  const single = decodeFrame(bytes, family, layout);
  const frames = single.kind === 'invalid' ? splitFrames(bytes, family) : [];
  if (frames.length === 0) return [JSON.stringify({ hex: toHex(bytes), ...single })];
  return frames.map((f) => JSON.stringify({ hex: toHex(f), ...decodeFrame(f, family, layout) }));
}

const command: Command = {
  name: 'decode',
  summary: 'decode BM13xx UART frames (hex arguments or stdin lines) into JSON, CRCs checked',
  usage: 'asic-agent decode [--chip bm1397|bm1362|bm1366|bm1368|bm1370] [--layout be|le] [HEX…]   (no HEX: read stdin, one frame per line)',
  async run(argv) {
    let family: ChipFamily | undefined;
    let layout: NonceLayout = ESP_MINER_NONCE_LAYOUT;
    const inputs: string[] = [];
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i] as string;
      if (a === '--chip') {
        const v = argv[++i];
        if (!v) throw new UsageError('--chip needs a family');
        try {
          family = familyByName(v);
        } catch (err) {
          if (err instanceof UnknownFamilyError) throw new UsageError(err.message);
          throw err;
        }
      } else if (a === '--layout') {
        const v = argv[++i];
        if (v !== 'be' && v !== 'le') throw new UsageError('--layout is be (ESP-Miner) or le (bm13xx-rs)');
        layout = { ...ESP_MINER_NONCE_LAYOUT, byteOrder: v };
      } else if (a.startsWith('--')) {
        throw new UsageError(`unknown option ${a}`);
      } else {
        inputs.push(a);
      }
    }
    if (inputs.length > 0) {
      // Arguments: each one a frame (so "55 AA 52 05 00 00 0A" can be given quoted as one argument).
      for (const s of inputs) for (const out of decodeLine(s, family, layout)) console.log(out);
      return 0;
    }
    const rl = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
    for await (const line of rl) {
      const t = line.trim();
      if (t === '' || t.startsWith('#')) continue;
      for (const out of decodeLine(t, family, layout)) console.log(out);
    }
    return 0;
  },
};
export default command;
