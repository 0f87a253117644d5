'use strict';
// Secrets never leave the driver in full: the first 6 characters and an ellipsis (LINES.md).

const KEEP = 6;
const secrets = new Set();

function mask(value) {
  if (value === undefined || value === null) return value;
  const s = String(value);
  if (s.length <= KEEP) return '…';
  return `${s.slice(0, KEEP)}…`;
}

// Every token the driver learns (the user's, each datachannel token) is remembered, so that
// any line about to be printed can be scrubbed of it whatever field or message carries it.
function remember(secret) {
  if (typeof secret === 'string' && secret.length > KEEP) secrets.add(secret);
}

const JWT = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
const BEARER = /(bearer\s+)([^\s"',;]+)/gi;
const SECRET_KEY = /token|auth|secret|password|key|signature/i;

function scrub(text) {
  let out = String(text);
  for (const s of secrets) {
    if (out.includes(s)) out = out.split(s).join(mask(s));
  }
  out = out.replace(BEARER, (m, p, tok) => (tok.endsWith('…') ? m : p + mask(tok)));
  out = out.replace(JWT, (m) => mask(m));
  return out;
}

// A URL for the log: query values whose names look secret are masked; the rest is kept.
function maskUrl(raw) {
  try {
    const u = new URL(raw);
    for (const [k, v] of u.searchParams) {
      if (SECRET_KEY.test(k)) u.searchParams.set(k, mask(v));
    }
    if (u.username || u.password) {
      u.username = '';
      u.password = '';
    }
    return scrub(u.toString());
  } catch {
    return scrub(raw);
  }
}

// exp of a JWT (seconds), read without verifying; undefined if it is not one.
function jwtExp(token) {
  try {
    const part = String(token).split('.')[1];
    if (!part) return undefined;
    const payload = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof payload.exp === 'number' ? payload.exp : undefined;
  } catch {
    return undefined;
  }
}

module.exports = {mask, remember, scrub, maskUrl, jwtExp, _secrets: secrets};
