'use strict';
// Loads the SDK: the pinned one in sdkclient/node_modules, or another installed tree given
// with --sdk DIR (a folder holding node_modules/@webex/..., a node_modules folder itself, or
// a webex-js-sdk checkout whose root node_modules links its built packages). Every @webex
// package is resolved from that one place, so the plugins register into one webex-core.

const fs = require('node:fs');
const path = require('node:path');
const {createRequire} = require('node:module');
const {installShims} = require('./shims');

const DEFAULT_DIR = path.resolve(__dirname, '..');

// The plugins, one by one, as the `webex/meetings` entry point loads them (SDK_FLOW.md).
const PLUGINS = [
  '@webex/internal-plugin-device',
  '@webex/internal-plugin-mercury',
  '@webex/internal-plugin-llm',
  '@webex/internal-plugin-voicea',
];
// plugin-meetings' register() calls webex.people._getMe() and reads the user and metrics
// plugins: the meetings entry point loads them alongside (SDK_FLOW.md lists the same set).
const MEETINGS_PLUGINS = ['@webex/internal-plugin-metrics', '@webex/internal-plugin-user', '@webex/plugin-people'];
const MEETINGS = '@webex/plugin-meetings';

function resolveBase(dir) {
  const abs = path.resolve(dir || DEFAULT_DIR);
  const base = path.basename(abs) === 'node_modules' ? path.dirname(abs) : abs;
  if (!fs.existsSync(path.join(base, 'node_modules'))) {
    throw new Error(`no node_modules in ${base} (run "npm ci" in sdkclient, or pass --sdk DIR with an installed SDK)`);
  }
  return base;
}

function versionOf(req, name) {
  try {
    return req(`${name}/package.json`).version;
  } catch {
    return undefined;
  }
}

// meetings: false loads only the data-channel stack (webex-core, device, mercury, llm, voicea).
function loadSdk({dir, meetings = true} = {}) {
  const base = resolveBase(dir);
  const req = createRequire(path.join(base, 'dcmon-sdk-resolver.js'));
  const shims = meetings ? installShims() : [];
  const versions = {};
  const extra = meetings ? [...MEETINGS_PLUGINS, MEETINGS] : [];
  for (const name of ['@webex/webex-core', ...PLUGINS, ...extra]) {
    versions[name] = versionOf(req, name);
    if (!versions[name]) throw new Error(`${name} is not installed under ${base}`);
  }
  for (const name of [...PLUGINS, ...extra]) req(name);
  const core = req('@webex/webex-core');
  const mercury = req('@webex/internal-plugin-mercury');
  return {
    WebexCore: core.default || core,
    Socket: mercury.Socket,
    dir: base,
    versions,
    sdkVersion: versions[meetings ? MEETINGS : '@webex/webex-core'],
    shims,
    require: req,
  };
}

module.exports = {loadSdk, resolveBase, DEFAULT_DIR};
