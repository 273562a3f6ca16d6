/**
 * cgminer API status messages: severity, code and text. Codes and texts are those of cgminer's api.c
 * (ckolivas/cgminer @ b8491c6, API 3.7: the `#define MSG_*` list and the `codes[]` table), so tools that
 * match on Code keep working. "CGMiner versions"/"CGMiner config"/"CGMiner stats"/"CGMiner coin" are
 * cgminer's Msg texts for those replies; the product itself is named in Description and VERSION.
 *
 * Codes 200..209 are asic-agent's own (pause/resume and write failures cgminer has no message for);
 * cgminer's highest code is 127 (MSG_DEPRECATED), BFGMiner's 0x101, so they do not collide.
 */

/** STATUS letters (api.c enum code_severity → 'E','W','I','S'; 'F' for a code bug). */
export type Severity = 'S' | 'I' | 'W' | 'E' | 'F';

export interface StatusMessage {
  severity: Severity;
  code: number;
  msg: string;
}

const m = (severity: Severity, code: number, msg: string): StatusMessage => ({ severity, code, msg });

export const Msg = {
  // api.c MSG_POOL 7 "%d Pool(s)", MSG_NOPOOL 8 "No pools"
  pools: (n: number) => m('S', 7, `${n} Pool(s)`),
  noPools: () => m('E', 8, 'No pools'),
  // MSG_DEVS 9 "%d ASC(s)" (an ASIC-only build), MSG_NODEVS 10 "No ASCs"
  devs: (n: number) => m('S', 9, `${n} ASC(s)`),
  noDevs: () => m('E', 10, 'No ASCs'),
  // MSG_SUMM 11
  summary: () => m('S', 11, 'Summary'),
  // MSG_INVCMD 14: sent without Description (api.c: "Do not give out description for random probes")
  invalidCommand: () => m('E', 14, 'Invalid command'),
  // MSG_VERSION 22, MSG_INVJSON 23, MSG_MISCMD 24 "Missing JSON '%s'"
  version: () => m('S', 22, 'CGMiner versions'),
  invalidJson: () => m('E', 23, 'Invalid JSON'),
  missingCommand: () => m('E', 24, "Missing JSON 'command'"),
  // MSG_MISPID 25, MSG_INVPID 26 "Invalid pool id %d - range is 0 - %d", MSG_SWITCHP 27
  missingPoolId: () => m('E', 25, 'Missing pool id parameter'),
  invalidPoolId: (id: number, max: number) => m('E', 26, `Invalid pool id ${id} - range is 0 - ${max}`),
  switchingPool: (id: number, url: string) => m('S', 27, `Switching to pool ${id}:'${url}'`),
  // MSG_MINECONFIG 33
  config: () => m('S', 33, 'CGMiner config'),
  // MSG_ACCDENY 45 "Access denied to '%s' command", MSG_ACCOK 46
  accessDenied: (cmd: string) => m('E', 45, `Access denied to '${cmd}' command`),
  privilegedOk: () => m('S', 46, 'Privileged access OK'),
  // MSG_ENAPOOL 47, MSG_DISPOOL 48, MSG_ALRENAP 49, MSG_ALRDISP 50, MSG_DISLASTP 51
  enablingPool: (id: number, url: string) => m('S', 47, `Enabling pool ${id}:'${url}'`),
  disablingPool: (id: number, url: string) => m('S', 48, `Disabling pool ${id}:'${url}'`),
  poolAlreadyEnabled: (id: number, url: string) => m('I', 49, `Pool ${id}:'${url}' already enabled`),
  poolAlreadyDisabled: (id: number, url: string) => m('I', 50, `Pool ${id}:'${url}' already disabled`),
  cannotDisableLast: (id: number, url: string) => m('E', 51, `Cannot disable last active pool ${id}:'${url}'`),
  // MSG_MISPDP 52, MSG_INVPDP 53 "Invalid addpool details '%s'", MSG_ADDPOOL 55 "Added pool %d: '%s'"
  missingAddpool: () => m('E', 52, 'Missing addpool details'),
  invalidAddpool: (what: string) => m('E', 53, `Invalid addpool details '${what}'`),
  addedPool: (id: number, url: string) => m('S', 55, `Added pool ${id}: '${url}'`),
  // MSG_NUMPGA 59 "PGA count"
  pgaCount: () => m('S', 59, 'PGA count'),
  // MSG_REMLASTP 66, MSG_ACTPOOL 67, MSG_REMPOOL 68
  cannotRemoveLast: (id: number, url: string) => m('E', 66, `Cannot remove last pool ${id}:'${url}'`),
  cannotRemoveActive: (id: number, url: string) => m('E', 67, `Cannot remove active pool ${id}:'${url}'`),
  removedPool: (id: number, url: string) => m('S', 68, `Removed pool ${id}:'${url}'`),
  // MSG_DEVDETAILS 69, MSG_MINESTATS 70, MSG_MISCHK 71, MSG_CHECK 72
  devDetails: () => m('S', 69, 'Device Details'),
  stats: () => m('S', 70, 'CGMiner stats'),
  missingCheck: () => m('E', 71, 'Missing check cmd'),
  check: () => m('S', 72, 'Check command'),
  // MSG_MINECOIN 78
  coin: () => m('S', 78, 'CGMiner coin'),
  // MSG_NUMASC 104 "ASC count"
  ascCount: () => m('S', 104, 'ASC count'),
  // asic-agent's own
  paused: () => m('S', 200, 'Mining paused'),
  alreadyPaused: () => m('I', 201, 'Mining already paused'),
  resumed: () => m('S', 202, 'Mining resumed'),
  notPaused: () => m('I', 203, 'Mining not paused'),
  commandFailed: (cmd: string, why: string) => m('E', 204, `Command '${cmd}' failed: ${why}`),
  tooLarge: (max: number) => m('E', 205, `Request larger than ${max} bytes`),
  // api.c message() for an unknown message id: STATUS F, Code -1
  internalError: () => m('F', -1, 'Internal error'),
} as const;
