'use strict';
// Reports every HTTP request the SDK makes and its answer (LINES.md `http`), by wrapping
// http.request / https.request (the `request` package behind @webex/http-core calls them at
// request time). Observation only: the request, its headers and its body are untouched; the
// answer's body is read by tapping `emit('data')`, never by adding a consumer, so the SDK
// reads it exactly as before. WebSocket upgrades are left to the wire tap.

const http = require('node:http');
const https = require('node:https');
const {emit} = require('./out');
const {mask, maskUrl, remember, jwtExp} = require('./mask');

const BODY_LIMIT = 512 * 1024;
const listeners = [];
let classify = () => ({});

// The session names what a request is for (`what`, `channel`) from the SDK's own state.
function setClassifier(fn) {
  classify = fn;
}

// Called with {method, url, status, headers, body(parsed or undefined), reqHeaders} after
// each answer; the session derives tokens and locus facts from it.
function onAnswer(fn) {
  listeners.push(fn);
}

function urlOf(protocol, options, args) {
  if (typeof args[0] === 'string') return args[0];
  if (args[0] instanceof URL) return args[0].toString();
  const host = options.hostname || options.host || 'localhost';
  const port = options.port ? `:${options.port}` : '';
  return `${protocol}//${host}${port}${options.path || '/'}`;
}

function headerOf(req, name) {
  try {
    return req.getHeader(name);
  } catch {
    return undefined;
  }
}

function wrap(mod, protocol) {
  const orig = mod.request;
  mod.request = function tappedRequest(...args) {
    const req = orig.apply(this, args);
    try {
      observe(req, protocol, args);
    } catch (error) {
      emit('error', {kind: 'driver', message: `http tap: ${error.message}`});
    }
    return req;
  };
  // http.get calls the module-internal request, not the exported one: route it through ours.
  mod.get = function tappedGet(...args) {
    const req = mod.request(...args);
    req.end();
    return req;
  };
}

function observe(req, protocol, args) {
  const options = args.find((a) => a && typeof a === 'object' && !(a instanceof URL)) || {};
  const upgrade = String(headerOf(req, 'upgrade') || (options.headers && (options.headers.Upgrade || options.headers.upgrade)) || '');
  if (upgrade.toLowerCase() === 'websocket') return; // the wire tap reports sockets
  const started = performance.now();
  const method = req.method || options.method || 'GET';
  const url = urlOf(protocol, options, args);
  const dcToken = headerOf(req, 'data-channel-auth-token');
  if (dcToken) remember(String(dcToken));
  const auth = headerOf(req, 'authorization');
  if (auth) remember(String(auth).replace(/^bearer\s+/i, ''));
  let done = false;
  const base = () => ({
    method,
    url: maskUrl(url),
    ms: Math.round((performance.now() - started) * 10) / 10,
    auth: Boolean(auth),
    ...(dcToken ? {dcToken: mask(String(dcToken)), dcTokenExp: jwtExp(String(dcToken))} : {}),
  });
  let kind = {};
  try {
    kind = classify(method, url) || {};
  } catch {
    kind = {};
  }
  const finish = (fields, answer) => {
    if (done) return;
    done = true;
    emit('http', {...base(), ...kind, ...fields});
    if (answer) {
      for (const fn of listeners) {
        try {
          fn({method, url, ...answer, dcToken: dcToken ? String(dcToken) : undefined});
        } catch (error) {
          emit('error', {kind: 'driver', message: `http answer hook: ${error.message}`});
        }
      }
    }
  };
  req.on('response', (res) => {
    const chunks = [];
    let size = 0;
    const origEmit = res.emit;
    res.emit = function tappedEmit(event, ...rest) {
      if (event === 'data' && size < BODY_LIMIT) {
        const chunk = Buffer.isBuffer(rest[0]) ? rest[0] : Buffer.from(String(rest[0]));
        size += chunk.length;
        chunks.push(chunk);
      } else if (event === 'end') {
        let body;
        const type = String(res.headers['content-type'] || '');
        if (size > 0 && size < BODY_LIMIT && type.includes('json')) {
          try {
            body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            body = undefined;
          }
        }
        finish({status: res.statusCode, bytes: size}, {status: res.statusCode, headers: res.headers, body});
      } else if (event === 'close' || event === 'aborted') {
        finish({status: res.statusCode, bytes: size, error: 'answer cut short'}, null);
      }
      return origEmit.call(this, event, ...rest);
    };
  });
  req.on('error', (error) => finish({status: 0, error: error.code || error.message}, null));
  req.on('close', () => finish({status: 0, error: 'closed without an answer'}, null));
}

let installed = false;
function installHttpTap() {
  if (installed) return;
  installed = true;
  wrap(http, 'http:');
  wrap(https, 'https:');
}

module.exports = {installHttpTap, onAnswer, setClassifier};
