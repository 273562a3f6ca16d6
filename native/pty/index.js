'use strict';
// Loads the addon that `npm ci` built (node-gyp, binding.gyp). When it is missing the error says so in
// one line a person can act on, instead of a module-resolution stack trace.
let addon;
try {
  addon = require('./build/Release/pty.node');
} catch (err) {
  const e = new Error(
    `pseudo-terminal support is not built (${err && err.code ? err.code : 'load failed'}): ` +
      'run `npm ci` (or `npm rebuild @asic-agent/pty`) with python3, make and a C compiler present',
  );
  e.code = 'EPTYADDON';
  e.cause = err;
  throw e;
}
module.exports = addon;
