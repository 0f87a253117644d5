'use strict';
// Preloaded into the driver (`node -r ./netguard.js driver.js`): refuses every DNS lookup and
// every TCP/TLS connection that is not to loopback, and reports each refusal as a `netguard`
// line (LINES.md). It is the proof that nothing the SDK does leaves the machine: a refused
// attempt fails the way an unreachable host fails (an error on the callback or the socket),
// so the SDK goes on, and the test that watches for `netguard` lines sees it.

const dns = require('node:dns');
const net = require('node:net');
const tls = require('node:tls');
const {emit} = require('./lib/out');

const LOOPBACK_NAMES = new Set(['localhost', 'localhost.', 'ip6-localhost', 'ip6-loopback']);

function isLoopback(host) {
  if (host === undefined || host === null || host === '') return true; // node's default: localhost
  let h = String(host).toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (LOOPBACK_NAMES.has(h)) return true;
  if (net.isIPv4(h)) return h.startsWith('127.');
  if (net.isIPv6(h)) {
    if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
    const m = h.match(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/);
    return Boolean(m && m[1].startsWith('127.'));
  }
  return false;
}

const refusals = [];

function refuse(api, host, port) {
  const record = {api, host: String(host), ...(port !== undefined ? {port: Number(port)} : {})};
  refusals.push(record);
  try {
    emit('netguard', record);
  } catch {
    // reporting must never break the caller
  }
  const err = new Error(`netguard: ${api} to non-loopback ${host}${port !== undefined ? `:${port}` : ''} refused`);
  err.code = 'ENETGUARD';
  err.hostname = String(host);
  return err;
}

// dns.lookup(hostname[, options], callback) and dns.promises.lookup(hostname[, options])
const origLookup = dns.lookup;
dns.lookup = function guardedLookup(hostname, options, callback) {
  if (!isLoopback(hostname)) {
    const cb = typeof options === 'function' ? options : callback;
    const err = refuse('dns.lookup', hostname);
    if (typeof cb === 'function') process.nextTick(cb, err);
    return {};
  }
  return origLookup.apply(this, arguments);
};
const origPromisesLookup = dns.promises.lookup;
dns.promises.lookup = function guardedPromisesLookup(hostname, ...rest) {
  if (!isLoopback(hostname)) return Promise.reject(refuse('dns.promises.lookup', hostname));
  return origPromisesLookup.call(this, hostname, ...rest);
};
// The resolver family queries a DNS server directly (no lookup): refuse any non-loopback name.
for (const name of ['resolve', 'resolve4', 'resolve6', 'resolveAny', 'resolveCname', 'resolveSrv', 'resolveTxt']) {
  const orig = dns[name];
  if (typeof orig !== 'function') continue;
  dns[name] = function guardedResolve(hostname, ...rest) {
    if (!isLoopback(hostname)) {
      const cb = rest.find((a) => typeof a === 'function');
      const err = refuse(`dns.${name}`, hostname);
      if (cb) process.nextTick(cb, err);
      return undefined;
    }
    return orig.call(this, hostname, ...rest);
  };
}

// net.Socket#connect(options[, cb]) | (port[, host][, cb]) | (path[, cb]); http, https, ws,
// undici and tls all end here.
function connectTarget(args) {
  let first = args[0];
  if (Array.isArray(first)) first = first[0]; // internal normalized form [options, cb]
  if (first && typeof first === 'object') {
    if (first.path) return {path: first.path};
    return {host: first.host ?? first.hostname, port: first.port};
  }
  if (typeof first === 'string' && !/^\d+$/.test(first)) return {path: first};
  const host = typeof args[1] === 'string' ? args[1] : undefined;
  return {host, port: first};
}

const origConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guardedConnect(...args) {
  const target = connectTarget(args);
  if (!target.path && !isLoopback(target.host)) {
    const err = refuse('net.Socket#connect', target.host, target.port);
    process.nextTick(() => this.destroy(err));
    return this;
  }
  return origConnect.apply(this, args);
};

const origTlsConnect = tls.connect;
tls.connect = function guardedTlsConnect(...args) {
  let options = args.find((a) => a && typeof a === 'object') || {};
  const host = options.host ?? (typeof args[1] === 'string' ? args[1] : undefined);
  const port = options.port ?? (typeof args[0] === 'number' || /^\d+$/.test(String(args[0])) ? args[0] : undefined);
  if (!options.socket && !options.path && !isLoopback(host)) {
    const err = refuse('tls.connect', host, port);
    const sock = new tls.TLSSocket(new net.Socket());
    process.nextTick(() => sock.destroy(err));
    return sock;
  }
  return origTlsConnect.apply(this, args);
};

module.exports = {isLoopback, refusals};
