'use strict';
// The one writer of stdout: one JSON object per line (LINES.md). Everything printed passes
// through scrub(), so a token cannot reach the adapter whatever field carries it.

const {scrub} = require('./mask');

function now() {
  return Math.round((performance.timeOrigin + performance.now()) * 1000) / 1000;
}

let sink = (line) => process.stdout.write(line);

function emit(ev, fields = {}) {
  let line;
  try {
    line = JSON.stringify({t: now(), ev, ...fields});
  } catch (error) {
    line = JSON.stringify({t: now(), ev: 'error', kind: 'driver', message: `unserialisable ${ev}: ${error.message}`});
  }
  sink(`${scrub(line)}\n`);
}

// Tests capture lines instead of printing them.
function setSink(fn) {
  const previous = sink;
  sink = fn;
  return previous;
}

module.exports = {emit, now, setSink};
