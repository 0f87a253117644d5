'use strict';
// The driver's own pieces, without the SDK: masking, the network guard, the line protocol.

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const {spawn} = require('node:child_process');
const readline = require('node:readline');

const {mask, maskUrl, scrub, remember, jwtExp} = require('../lib/mask');
const {isLoopback} = require('../netguard');

const ROOT = path.resolve(__dirname, '..');

test('mask keeps 6 characters', () => {
  assert.equal(mask('abcdefghijkl'), 'abcdef…');
  assert.equal(mask('abc'), '…');
});

test('scrub removes remembered secrets, bearer tokens and JWTs from any text', () => {
  remember('user-secret-token-123456');
  const jwt = `eyJhbGciOiJIUzI1NiJ9.${Buffer.from(JSON.stringify({exp: 2000000000})).toString('base64url')}.c2lnbmF0dXJl`;
  const text = scrub(`tok=user-secret-token-123456 Authorization: Bearer abcdefghijklmnop ${jwt}`);
  assert.ok(!text.includes('user-secret-token-123456'));
  assert.ok(!text.includes('abcdefghijklmnop'));
  assert.ok(!text.includes(jwt));
  assert.match(text, /user-s…/);
  assert.equal(jwtExp(jwt), 2000000000);
  assert.equal(jwtExp('not-a-jwt'), undefined);
});

test('maskUrl masks secret-looking query values only', () => {
  const u = maskUrl('http://127.0.0.1:1/x?access_token=abcdefghijk&format=hostmap');
  assert.ok(u.includes('format=hostmap'));
  assert.ok(!u.includes('abcdefghijk'));
});

test('netguard: loopback is allowed, everything else is not', () => {
  for (const h of ['127.0.0.1', '127.8.9.10', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1', undefined]) {
    assert.equal(isLoopback(h), true, String(h));
  }
  for (const h of ['10.0.0.1', '192.168.1.1', '8.8.8.8', 'example.com', 'u2c.wbx2.com', '::ffff:10.0.0.1', '2001:db8::1']) {
    assert.equal(isLoopback(h), false, h);
  }
});

// The driver as a process: the first line is `ready`, a bad command gets a failed `result`,
// a non-JSON line an `error`, and `quit` before `start` exits 0 with an `exit` line.
test('driver speaks the line protocol', {timeout: 30000}, async () => {
  const child = spawn(process.execPath, ['-r', './netguard.js', 'driver.js'], {cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe']});
  const lines = [];
  const rl = readline.createInterface({input: child.stdout});
  const exited = new Promise((resolve) => child.once('exit', resolve));
  rl.on('line', (line) => lines.push(JSON.parse(line)));
  child.stdin.write('{"id": 1, "cmd": "bogus"}\n');
  child.stdin.write('not json\n');
  child.stdin.write('{"id": 2, "cmd": "join", "meeting": "x"}\n');
  child.stdin.write('{"id": 3, "cmd": "state"}\n');
  child.stdin.write('{"id": 4, "cmd": "quit"}\n');
  const code = await exited;
  assert.equal(code, 0);
  assert.equal(lines[0].ev, 'ready');
  assert.equal(lines[0].sdkVersion, '3.12.0');
  assert.equal(lines[0].netguard, true);
  const result = (id) => lines.find((l) => l.ev === 'result' && l.id === id);
  assert.equal(result(1).ok, false);
  assert.match(result(1).error, /unknown command/);
  assert.ok(lines.some((l) => l.ev === 'error' && l.kind === 'command' && /not JSON/.test(l.message)));
  assert.equal(result(2).ok, false);
  assert.match(result(2).error, /not started/);
  assert.deepEqual(result(3).data, {started: false});
  assert.equal(result(4).ok, true);
  assert.equal(lines[lines.length - 1].ev, 'exit');
  for (const l of lines) assert.equal(typeof l.t, 'number');
});

// The guard as a preload refuses a real attempt and reports it as a line.
test('netguard preload reports and refuses a non-loopback connection', {timeout: 30000}, async () => {
  const script = "require('net').connect(443, '203.0.113.7').on('error', (e) => { console.error(e.code); process.exit(e.code === 'ENETGUARD' ? 0 : 1); });";
  const child = spawn(process.execPath, ['-r', './netguard.js', '-e', script], {cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe']});
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  const code = await new Promise((resolve) => child.once('exit', resolve));
  assert.equal(code, 0);
  const line = JSON.parse(out.trim().split('\n')[0]);
  assert.equal(line.ev, 'netguard');
  assert.equal(line.host, '203.0.113.7');
  assert.equal(line.port, 443);
});

async function runDriver(args, input = '{"cmd": "quit"}\n') {
  const child = spawn(process.execPath, ['-r', './netguard.js', 'driver.js', ...args], {cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe']});
  const lines = [];
  readline.createInterface({input: child.stdout}).on('line', (line) => lines.push(JSON.parse(line)));
  child.stdin.end(input);
  const code = await new Promise((resolve) => child.once('exit', resolve));
  return {code, lines};
}

// --sdk DIR resolves every @webex package from DIR (here: a folder whose node_modules is this
// install, as a local SDK build's would be), and a folder without one is refused up front.
test('--sdk DIR loads the SDK from that folder', {timeout: 30000}, async () => {
  const fs = require('node:fs');
  const os = require('node:os');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dcmon-sdk-'));
  try {
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
    const ok = await runDriver(['--sdk', dir]);
    assert.equal(ok.code, 0);
    assert.equal(ok.lines[0].ev, 'ready');
    assert.equal(ok.lines[0].sdkDir, dir);
    assert.equal(ok.lines[0].sdkVersion, '3.12.0');
    const bad = await runDriver(['--sdk', path.join(dir, 'nothing-here')]);
    assert.equal(bad.code, 3);
    assert.equal(bad.lines[0].ev, 'error');
    assert.match(bad.lines[0].message, /no node_modules/);
    assert.equal(bad.lines[bad.lines.length - 1].ev, 'exit');
  } finally {
    fs.rmSync(dir, {recursive: true, force: true});
  }
});
