'use strict';
// Milestone 1: the SDK's data-channel stack, unmodified (@webex/webex-core with
// internal-plugin-device, -mercury, -llm, -voicea 3.12.0), against the real simulator over
// loopback. Nothing is shimmed: the catalog comes from the simulator's U2C, the feature
// toggle from its WDM answer, the datachannel token from its join answer, the captions from
// its voicea. The driver's own instrumentation is not used here either: only the SDK's
// events and the simulator's state view.

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');

const {refusals} = require('../netguard');
const {loadSdk} = require('../lib/sdk');
const {localConfig} = require('../lib/config');
const {startSim, waitFor, nextEvent} = require('./helpers/sim');

// a_b_<orgId>: the shape from which webex-core reads the org id it asks U2C with
const USER_TOKEN = `m1_${crypto.randomBytes(6).toString('hex')}_1eb65fdf-9643-417f-9974-ad72cae0e10f`;
// After a 4000 close the SDK must not reconnect; its reconnect after a transient close is
// immediate (backoff's first attempt), so 3 s without one is a generous observation window.
const STAYS_OFFLINE_WINDOW_MS = 3000;

// The SDK logs through console: keep it out of the test report unless the test fails.
function quietConsole() {
  const saved = {};
  const lines = [];
  for (const name of ['log', 'info', 'debug', 'warn', 'error', 'trace']) {
    saved[name] = console[name];
    console[name] = (...args) => {
      lines.push(args.map(String).join(' '));
      if (lines.length > 400) lines.shift();
    };
  }
  return {
    restore() {
      Object.assign(console, saved);
    },
    dump() {
      process.stderr.write(`--- last SDK log lines ---\n${lines.slice(-120).join('\n')}\n`);
    },
  };
}

function participant(state) {
  return (state.participants || []).find((p) => p.phase !== 'left');
}

function defaultSockets(state) {
  const p = participant(state);
  return p && p.channels && p.channels.default ? p.channels.default.sockets || [] : [];
}

test('data-channel stack: register, online, captions, 1006 reconnect, 4000 stays offline', {timeout: 90000}, async (t) => {
  const log = quietConsole();
  const sim = await startSim();
  let cleanup = async () => {};
  t.after(async () => {
    await cleanup(); // the SDK first, while the simulator is still up (no reconnect storm)
    await sim.stop();
    log.restore();
  });
  try {
    await scenario(sim, (fn) => {
      cleanup = fn;
    });
  } catch (error) {
    log.dump();
    throw error;
  }
});

async function scenario(sim, setCleanup) {
  const meeting = await sim.control('POST', '/sim/meetings', {lobby: false, webinar: false});
  const meetingId = meeting.meetingId;

  const sdk = loadSdk({meetings: false});
  assert.equal(sdk.versions['@webex/internal-plugin-llm'], '3.12.0');
  assert.deepEqual(sdk.shims, [], 'the data-channel stack needs no browser globals');
  const webex = new sdk.WebexCore({
    credentials: {access_token: USER_TOKEN},
    config: localConfig(sim.url),
  });
  const {device, mercury, llm, voicea, feature, services} = webex.internal;
  setCleanup(async () => {
    await llm.disconnectAllLLM().catch(() => {});
    await mercury.disconnect().catch(() => {});
    await device.unregister().catch(() => {});
  });

  // catalog from the simulator's U2C (no shim: the SDK fetches it itself)
  await services.waitForCatalog('postauth', 15);
  assert.ok(services.get('locus'), 'the catalog names a locus service');
  assert.ok(services.get('locus').startsWith(sim.url), 'every service is on loopback');

  // device registration and the feature toggle from the WDM answer
  await device.register();
  assert.ok(device.url && device.url.startsWith(sim.url));
  assert.equal(await feature.getFeature('developer', 'data-channel-with-jwt-token'), true);

  // device socket online (authorization, mercury.buffer_state, pings acked)
  await mercury.connect();
  assert.equal(mercury.connected, true);

  // join with no lobby: the token is in the join answer
  const joined = await webex.request({
    method: 'POST',
    uri: `${meeting.locusUrl}/participant`,
    qs: {alternateRedirect: true},
    body: {
      device: {url: device.url, deviceType: 'WEB'},
      usingResource: null,
      correlationId: crypto.randomUUID(),
      respOnlySdp: true,
      allowMultiDevice: true,
      supportsNativeLobby: 1,
    },
  });
  const locus = joined.body.locus;
  const {datachannelUrl} = locus.info;
  const token = locus.self.datachannelToken;
  assert.ok(datachannelUrl, 'an admitted participant has info.datachannelUrl');
  assert.ok(token, 'a participant joined without a lobby gets self.datachannelToken');

  // the default data channel: registration with the token header, then the socket
  const online = nextEvent(llm, 'online', 15000);
  await llm.registerAndConnect(locus.url, datachannelUrl, token);
  await online;
  assert.equal(llm.isConnected(), true);
  let state = await waitFor('one live default socket on the simulator', async () => {
    const s = await sim.control('GET', `/sim/meetings/${meetingId}`);
    return defaultSockets(s).length === 1 ? s : null;
  });
  assert.equal(participant(state).channels.default.registrations, 1);

  // captions: PUT controls, announce, voicea.annc answer, subscription, transcription
  const announced = nextEvent(voicea, 'voicea:announcement', 15000);
  await voicea.turnOnCaptions();
  await announced;
  state = await waitFor('the subscription on the simulator', async () => {
    const s = await sim.control('GET', `/sim/meetings/${meetingId}`);
    const socket = defaultSockets(s)[0];
    return socket && (socket.subscriptions || []).includes('transcription') ? s : null;
  });
  const finals = [];
  voicea.on('voicea:newCaption', (c) => {
    if (c.isFinal) finals.push(c);
  });
  await sim.control('POST', `/sim/meetings/${meetingId}/transcription`, {perSecond: 5});
  await waitFor('a final caption', () => finals.length > 0, 15000);
  assert.ok(finals[0].transcripts.length > 0);

  // 1006: the SDK reconnects to the same URL by itself
  const transient = nextEvent(llm, 'offline.transient', 15000);
  const back = nextEvent(llm, 'online', 20000);
  await sim.control('POST', '/sim/sockets', {meetingId, channel: 'default', action: 'reset'});
  const [dropEvent] = await transient;
  assert.equal(dropEvent.code, 1006);
  await back;
  assert.equal(llm.isConnected(), true);
  state = await waitFor('the reconnected socket on the simulator', async () => {
    const s = await sim.control('GET', `/sim/meetings/${meetingId}`);
    return defaultSockets(s).length === 1 ? s : null;
  });
  assert.equal(participant(state).channels.default.registrations, 1, 'a reconnect does not register again');
  // 3.12.0 never resubscribes after a reconnect (no PR #4818): the new socket has none
  assert.deepEqual(defaultSockets(state)[0].subscriptions || [], []);

  // 4000: replaced, the SDK stays offline
  const replaced = nextEvent(llm, 'offline.replaced', 15000);
  let reconnects = 0;
  llm.on('online', () => {
    reconnects += 1;
  });
  await sim.control('POST', '/sim/sockets', {meetingId, channel: 'default', action: 'close', code: 4000, reason: 'replaced'});
  const [replacedEvent] = await replaced;
  assert.equal(replacedEvent.code, 4000);
  // watched through the window: any reconnect (SDK event or socket on the simulator) fails
  const windowEnd = Date.now() + STAYS_OFFLINE_WINDOW_MS;
  await waitFor('the end of the stays-offline window', async () => {
    const s = await sim.control('GET', `/sim/meetings/${meetingId}`);
    assert.equal(reconnects, 0, 'the SDK reconnected after 4000');
    assert.equal(defaultSockets(s).length, 0, 'a default socket reappeared after 4000');
    return Date.now() >= windowEnd;
  }, STAYS_OFFLINE_WINDOW_MS + 5000, 100);
  assert.equal(llm.isConnected(), false);

  assert.deepEqual(refusals, [], 'nothing tried to leave loopback');
}
