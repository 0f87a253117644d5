'use strict';
// Small, safe summaries of SDK payloads for `sdk` lines: no functions, no cycles, bounded
// depth and size (the scrubber in out.js masks any token left in them).

const MAX_CHARS = 400;

function summarize(value, depth = 3) {
  const seen = new WeakSet();
  const walk = (v, d) => {
    if (v === null || v === undefined) return v;
    const type = typeof v;
    if (type === 'string') return v.length > 120 ? `${v.slice(0, 120)}…` : v;
    if (type === 'number' || type === 'boolean') return v;
    if (type === 'function' || type === 'symbol' || type === 'bigint') return undefined;
    if (v instanceof Error) return {error: v.message};
    if (seen.has(v)) return '[cycle]';
    seen.add(v);
    if (d <= 0) return Array.isArray(v) ? `[${v.length}]` : '{…}';
    if (Array.isArray(v)) return v.slice(0, 10).map((x) => walk(x, d - 1));
    const out = {};
    let n = 0;
    for (const key of Object.keys(v)) {
      if (n++ >= 12) {
        out['…'] = true;
        break;
      }
      const w = walk(v[key], d - 1);
      if (w !== undefined) out[key] = w;
    }
    return out;
  };
  const result = walk(value, depth);
  try {
    const text = JSON.stringify(result);
    if (text && text.length > MAX_CHARS) return {truncated: text.slice(0, MAX_CHARS)};
  } catch {
    return undefined;
  }
  return result;
}

function errorText(error) {
  if (!error) return String(error);
  if (error instanceof Error) return error.message;
  if (typeof error === 'object') {
    if (error.message) return String(error.message);
    try {
      return JSON.stringify(summarize(error));
    } catch {
      return String(error);
    }
  }
  return String(error);
}

module.exports = {summarize, errorText};
