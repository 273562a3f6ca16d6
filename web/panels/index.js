// Every panel of the page, in order. A panel is {id, view, title, wide?, mount(body, ctx),
// update(body, state, ctx), shown?(body, ctx)}; app.js gives it a card in its view. To add one (the
// power-target controls, for instance), write panels/<name>.js and list it here.
import { hashratePanel } from './hashrate.js';
import { sharesPanel } from './shares.js';
import { alarmsPanel } from './alarms.js';
import { heatmapPanel } from './heatmap.js';
import { chainsPanel } from './chains.js';
import { boardPanel } from './board.js';
import { upstreamPanel } from './upstream.js';
import { logsPanel } from './logs.js';
import { settingsPanel } from './settings.js';
import { tuningPanel } from './tuning.js';

export const VIEWS = [
  { id: 'overview', title: 'Overview' },
  { id: 'chains', title: 'Chains' },
  { id: 'board', title: 'Board' },
  { id: 'upstream', title: 'Upstream' },
  { id: 'logs', title: 'Logs' },
  { id: 'settings', title: 'Settings' },
];

export const PANELS = [
  hashratePanel,
  sharesPanel,
  alarmsPanel('overview'),
  tuningPanel,
  heatmapPanel,
  chainsPanel,
  boardPanel,
  alarmsPanel('board'),
  upstreamPanel,
  logsPanel,
  settingsPanel,
];
