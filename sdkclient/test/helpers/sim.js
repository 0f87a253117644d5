'use strict';
// Test helpers: the real simulator (`python -m app sim --port 0`) as a child process, its
// /sim/ control API, and waiting on a condition with a deadline (never a bare sleep).

const {spawn} = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');

const REPO = path.resolve(__dirname, '..', '..', '..');

function python() {
  if (process.env.DCMON_PYTHON) return process.env.DCMON_PYTHON;
  const venv = path.join(REPO, '.venv', 'bin', 'python');
  return fs.existsSync(venv) ? venv : 'python3';
}

async function startSim({args = []} = {}) {
  const child = spawn(python(), ['-m', 'app', 'sim', '--port', '0', ...args], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr = (stderr + d.toString()).slice(-8000);
  });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`simulator did not print its URL in 30 s\n${stderr}`)), 30000);
    const rl = readline.createInterface({input: child.stdout});
    rl.once('line', (line) => {
      clearTimeout(timer);
      resolve(line.trim());
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`simulator exited (${code}) before printing its URL\n${stderr}`));
    });
  });
  const sim = {
    url,
    pid: child.pid,
    stderr: () => stderr,
    async control(method, route, body) {
      const res = await fetch(`${url}${route}`, {
        method,
        headers: {'content-type': 'application/json'},
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      let data;
      try {
        data = JSON.parse(text);
      } catch {
        data = text;
      }
      if (!res.ok) throw new Error(`${method} ${route} -> ${res.status} ${text}`);
      return data;
    },
    stop() {
      return new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) {
          resolve();
          return;
        }
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        process.kill(child.pid, 'SIGTERM');
      });
    },
  };
  return sim;
}

// Polls `check` (sync or async) until it returns a truthy value, or fails after `ms`; an
// assertion failing inside `check` fails at once (used for "this must not happen" windows).
async function waitFor(what, check, ms = 10000, everyMs = 50) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    try {
      last = await check();
      if (last) return last;
    } catch (error) {
      if (error && error.code === 'ERR_ASSERTION') throw error; // a broken invariant fails now
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

// Resolves with the arguments of the next `event` from an emitter (ampersand or node).
function nextEvent(emitter, event, ms = 10000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, handler);
      reject(new Error(`timed out after ${ms} ms waiting for event ${event}`));
    }, ms);
    function handler(...args) {
      clearTimeout(timer);
      emitter.off(event, handler);
      resolve(args);
    }
    emitter.on(event, handler);
  });
}

module.exports = {startSim, waitFor, nextEvent, REPO};
