#!/usr/bin/env node
'use strict';
// dcmon's SDK client driver: runs the real Webex JS SDK as the client under test.
// JSON-line commands on stdin, JSON-line events on stdout, free text on stderr (LINES.md).
// Start it as `node -r ./netguard.js driver.js [--sdk DIR] [--log-level LEVEL]`.

const path = require('node:path');
const readline = require('node:readline');
const {createRequire} = require('node:module');
const util = require('node:util');

const {emit} = require('./lib/out');
const {scrub} = require('./lib/mask');
const {errorText} = require('./lib/summary');
const {resolveBase} = require('./lib/sdk');
const httptap = require('./lib/httptap');

const LEVELS = {error: 0, warn: 1, info: 2, debug: 3};

function parseArgs(argv) {
  const args = {sdkDir: undefined, logLevel: 'warn'};
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i];
    if (a === '--sdk') args.sdkDir = argv[++i];
    else if (a.startsWith('--sdk=')) args.sdkDir = a.slice(6);
    else if (a === '--log-level') args.logLevel = argv[++i];
    else if (a.startsWith('--log-level=')) args.logLevel = a.slice(12);
    else if (a === '--help' || a === '-h') args.help = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!(args.logLevel in LEVELS)) throw new Error(`--log-level must be one of ${Object.keys(LEVELS).join(', ')}`);
  return args;
}

// The SDK logs through console (no logger plugin is installed): all of it goes to stderr,
// filtered by level, so stdout carries only JSON lines.
function redirectConsole(level) {
  const max = LEVELS[level];
  const write = (lvl, args) => {
    if (LEVELS[lvl] > max) return;
    try {
      process.stderr.write(`${scrub(util.format(...args))}\n`);
    } catch {
      // a closed stderr must not break the SDK
    }
  };
  console.log = (...a) => write('info', a);
  console.info = (...a) => write('info', a);
  console.debug = (...a) => write('debug', a);
  console.trace = (...a) => write('debug', a);
  console.warn = (...a) => write('warn', a);
  console.error = (...a) => write('error', a);
}

function sdkVersions(sdkDir) {
  const base = resolveBase(sdkDir);
  const req = createRequire(path.join(base, 'dcmon-sdk-resolver.js'));
  const version = (name) => {
    try {
      return req(`${name}/package.json`).version;
    } catch {
      return undefined;
    }
  };
  return {base, sdkVersion: version('@webex/plugin-meetings'), coreVersion: version('@webex/webex-core')};
}

// leave + unregister normally take milliseconds; a server that stopped answering must not
// keep the process alive
const QUIT_DEADLINE_MS = 8000;

function withDeadline(promise, ms, what) {
  let timer;
  const deadline = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish in ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

let finished = false;
function finish(code) {
  if (finished) return;
  finished = true;
  emit('exit', {code});
  // let stdout drain before leaving
  process.stdout.write('', () => process.exit(code));
}

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  if (args.help) {
    process.stdout.write('usage: node -r ./netguard.js driver.js [--sdk DIR] [--log-level error|warn|info|debug]\n');
    process.exit(0);
  }
  redirectConsole(args.logLevel);

  // never fatal (socket-base.js's _acknowledge rejects unhandled; Node 20 would exit)
  process.on('unhandledRejection', (reason) => {
    emit('error', {kind: 'unhandledRejection', message: errorText(reason), stack: reason && reason.stack ? scrub(reason.stack).split('\n').slice(0, 6).join('\n') : undefined});
  });
  process.on('uncaughtException', (error) => {
    emit('error', {kind: 'uncaughtException', message: errorText(error), stack: error && error.stack ? scrub(error.stack).split('\n').slice(0, 6).join('\n') : undefined});
  });

  let versions;
  try {
    versions = sdkVersions(args.sdkDir);
  } catch (error) {
    emit('error', {kind: 'command', message: error.message});
    finish(3);
    return;
  }
  httptap.installHttpTap();
  emit('ready', {
    sdkVersion: versions.sdkVersion,
    coreVersion: versions.coreVersion,
    sdkDir: versions.base,
    node: process.version,
    netguard: Boolean(require.cache[require.resolve('./netguard')]),
  });

  // the SDK is loaded by `start` (it needs the server URL in its environment first)
  const {Session} = require('./lib/session');
  const session = new Session({sdkDir: args.sdkDir});
  let quitting = false;
  let queue = Promise.resolve();

  const run = async (msg) => {
    const {id, cmd} = msg;
    try {
      let data;
      switch (cmd) {
        case 'start':
          data = await session.start(msg);
          break;
        case 'join':
          data = await session.join(msg);
          break;
        case 'leave':
          data = await session.leave();
          break;
        case 'captions':
          data = await session.captions(msg);
          break;
        case 'reconnect':
          data = await session.reconnect(msg);
          break;
        case 'state':
          data = session.state();
          break;
        case 'quit':
          quitting = true;
          data = await withDeadline(session.quit(), QUIT_DEADLINE_MS, 'quit');
          break;
        default:
          throw new Error(`unknown command ${JSON.stringify(cmd)}`);
      }
      emit('result', {id, cmd, ok: true, ...(data ? {data} : {})});
    } catch (error) {
      if (error && error.stack) process.stderr.write(`${scrub(String(error.stack))}\n`);
      emit('result', {id, cmd, ok: false, error: errorText(error)});
    }
    if (cmd === 'quit') finish(0);
  };

  const rl = readline.createInterface({input: process.stdin, crlfDelay: Infinity});
  rl.on('line', (line) => {
    if (!line.trim()) return;
    let msg;
    try {
      msg = JSON.parse(line);
    } catch (error) {
      emit('error', {kind: 'command', message: `not JSON: ${error.message}`});
      return;
    }
    if (!msg || typeof msg !== 'object' || typeof msg.cmd !== 'string') {
      emit('error', {kind: 'command', message: 'a command is an object with "cmd"'});
      return;
    }
    // `state` and `quit` act at once (quit must not wait behind a command that hangs, such
    // as a start whose device socket never opens); the others run one after another
    if (msg.cmd === 'state' || msg.cmd === 'quit') {
      run(msg);
      return;
    }
    queue = queue.then(() => run(msg));
  });
  rl.on('close', () => {
    // stdin closed: the adapter is gone; leave and unregister like quit
    if (quitting) return;
    quitting = true;
    withDeadline(session.quit(), QUIT_DEADLINE_MS, 'quit')
      .catch((error) => emit('error', {kind: 'command', message: `quit on stdin close: ${errorText(error)}`}))
      .then(() => finish(0));
  });
}

main();
