'use strict';
// The wire tap: every WebSocket the SDK opens is an instance of a subclass of the `ws`
// WebSocket it would have used (mercury's Socket.getWebSocketConstructor is the SDK's own
// environment hook for it). The subclass changes nothing it sends or receives; it counts
// frames, times pings, and reports opens, closes (code, reason), subscription requests,
// announcements and shutdown frames per channel (LINES.md).

const {emit} = require('./out');
const {maskUrl} = require('./mask');

const FRAMES_EVERY_MS = 250;

let pending = null; // {channel, switchover, sdkSocket} while the SDK's Socket#open runs
let serial = 0;
const sidOfSdkSocket = new WeakMap();
const frames = new Map(); // channel -> {in, out, timer, dirty}
const transcriptChannel = new Map(); // transcript_id -> channel it arrived on
const hooks = {frameIn: [], closed: []};

function countFrame(channel, dir) {
  let f = frames.get(channel);
  if (!f) {
    f = {in: 0, out: 0, timer: null};
    frames.set(channel, f);
  }
  f[dir] += 1;
  if (!f.timer) {
    f.timer = setTimeout(() => flushFrames(channel), FRAMES_EVERY_MS);
    f.timer.unref();
  }
}

function flushFrames(channel) {
  const f = frames.get(channel);
  if (!f) return;
  if (f.timer) clearTimeout(f.timer);
  f.timer = null;
  emit('frames', {channel, in: f.in, out: f.out});
}

function parse(data) {
  try {
    return JSON.parse(typeof data === 'string' ? data : Buffer.from(data).toString('utf8'));
  } catch {
    return undefined;
  }
}

function makeTappedWebSocket(WS) {
  class TappedWebSocket extends WS {
    constructor(url, protocols, options) {
      super(url, protocols, options);
      const tag = pending || {channel: 'unknown', switchover: false};
      const sid = `s${++serial}`;
      const info = {sid, channel: tag.channel, switchover: Boolean(tag.switchover), online: false, pings: new Map(), first: true, upgradeStatus: undefined, error: undefined};
      this._dcmon = info;
      if (tag.sdkSocket) sidOfSdkSocket.set(tag.sdkSocket, sid);
      emit('socket.opening', {channel: info.channel, sid, url: maskUrl(String(url)), ...(info.switchover ? {switchover: true} : {})});

      this.on('message', (data) => this._dcmonIn(data));
      this.on('error', (error) => {
        const m = /Unexpected server response: (\d+)/.exec(error && error.message);
        if (m) info.upgradeStatus = Number(m[1]);
        info.error = error && (error.code || error.message);
      });
      this.on('close', (code, reason) => {
        flushFrames(info.channel);
        const fields = {channel: info.channel, sid, code: code || 1006, reason: reason ? reason.toString() : '', wasOnline: info.online};
        if (info.upgradeStatus) fields.status = info.upgradeStatus;
        if (!info.online && info.error) fields.error = info.error;
        emit('socket.closed', fields);
        for (const fn of hooks.closed) fn(info, fields);
      });
    }

    _dcmonIn(data) {
      const info = this._dcmon;
      countFrame(info.channel, 'in');
      const frame = parse(data);
      if (!frame) return;
      const first = info.first;
      info.first = false;
      if (first && !frame.type && frame.data && frame.data.eventType === 'mercury.buffer_state') {
        info.online = true; // the SDK's own online rule (socket-base.js _authorize)
      }
      if (frame.type === 'pong') {
        const sent = info.pings.get(frame.id);
        info.pings.delete(frame.id);
        const fields = {channel: info.channel, sid: info.sid, pingId: frame.id};
        if (sent !== undefined) fields.rttMs = Math.round((performance.now() - sent) * 100) / 100;
        else fields.unexpected = true;
        emit('pong', fields);
      } else if (frame.type === 'shutdown') {
        emit('socket.shutdown', {channel: info.channel, sid: info.sid});
      } else if (frame.type === 'subchannelSubscriptionResponse') {
        emit('subscribe.answer', {channel: info.channel, sid: info.sid, subscribed: (frame.data && frame.data.subscribed) || [], unsubscribed: (frame.data && frame.data.unsubscribed) || []});
      } else if (frame.data && frame.data.relayType === 'voicea.transcription') {
        const id = frame.data.voiceaPayload && frame.data.voiceaPayload.transcript_id;
        if (id) {
          transcriptChannel.set(id, info.channel);
          if (transcriptChannel.size > 500) transcriptChannel.delete(transcriptChannel.keys().next().value);
        }
      }
      for (const fn of hooks.frameIn) fn(info, frame);
    }

    send(data, ...rest) {
      const info = this._dcmon;
      if (info && this.readyState === WS.OPEN) {
        countFrame(info.channel, 'out');
        const frame = parse(data);
        if (frame && frame.type === 'ping') {
          info.pings.set(frame.id, performance.now());
          if (info.pings.size > 50) info.pings.delete(info.pings.keys().next().value);
          emit('ping', {channel: info.channel, sid: info.sid, pingId: frame.id});
        } else if (frame && frame.type === 'subchannelSubscriptionRequest') {
          const d = frame.data || {};
          emit('subscribe', {channel: info.channel, sid: info.sid, subscribe: d.subscribe || [], unsubscribe: d.unsubscribe || [], datachannelUri: d.datachannelUri ? maskUrl(d.datachannelUri) : undefined});
        } else if (frame && frame.type === 'publishRequest' && frame.data && frame.data.relayType === 'client.annc') {
          emit('announce', {channel: info.channel, sid: info.sid});
        }
      }
      return super.send(data, ...rest);
    }
  }
  return TappedWebSocket;
}

// Installs the tapped constructor on the SDK's Socket class (mercury's socket/socket.js sets
// getWebSocketConstructor to return `ws`; we return a subclass of that same class).
function installWireTap(SocketClass) {
  const WS = SocketClass.getWebSocketConstructor();
  if (WS && WS._dcmonTapped) return;
  const Tapped = makeTappedWebSocket(WS);
  Tapped._dcmonTapped = true;
  SocketClass.getWebSocketConstructor = () => Tapped;
}

// Tags the sockets a mercury-derived plugin (mercury, llm) opens with dcmon's channel name:
// its _prepareAndOpenSocket gets the session id; Socket#open builds the ws synchronously.
function tagPlugin(plugin, channelOfSession) {
  const orig = plugin._prepareAndOpenSocket;
  if (typeof orig !== 'function' || orig._dcmon) return;
  const wrapped = function tagged(socket, socketUrl, sessionId, isShutdownSwitchover) {
    const channel = channelOfSession(sessionId);
    const open = socket.open;
    socket.open = function taggedOpen(...args) {
      pending = {channel, switchover: Boolean(isShutdownSwitchover), sdkSocket: socket};
      try {
        return open.apply(this, args);
      } finally {
        pending = null;
      }
    };
    return orig.apply(this, [socket, socketUrl, sessionId, isShutdownSwitchover]);
  };
  wrapped._dcmon = true;
  plugin._prepareAndOpenSocket = wrapped;
}

module.exports = {
  installWireTap,
  tagPlugin,
  sidOf: (sdkSocket) => (sdkSocket ? sidOfSdkSocket.get(sdkSocket) : undefined),
  channelOfTranscript: (id) => transcriptChannel.get(id),
  onFrameIn: (fn) => hooks.frameIn.push(fn),
  onClosed: (fn) => hooks.closed.push(fn),
  flushFrames,
};
