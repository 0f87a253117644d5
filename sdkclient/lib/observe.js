'use strict';
// Turns what the SDK itself says (plugin events, meeting triggers, voicea events) into
// LINES.md events. Listeners only: nothing here calls into the SDK's behaviour.

const {emit} = require('./out');
const {summarize, errorText} = require('./summary');
const wire = require('./wire');

const PRACTICE_SESSION = 'llm-practice-session';
const DEFAULT_SESSION = 'llm-default-session';

// dcmon's channel name for a mercury-family session id
function llmChannel(sessionId) {
  return sessionId === PRACTICE_SESSION ? 'practice' : 'default';
}

// Meeting triggers too frequent or too media-specific to be worth a line each.
const QUIET_MEETING_EVENTS = new Set([
  'meeting:caption-received', // reported as `caption` from voicea
  'meeting:stats:update',
  'media:negotiated',
]);

function watchSockets(webex) {
  const {mercury, llm} = webex.internal;
  wire.tagPlugin(mercury, () => 'device');
  wire.tagPlugin(llm, llmChannel);

  const plugins = [
    {plugin: mercury, sessions: [{suffix: '', channel: 'device', sessionId: mercury.defaultSessionId}]},
    {
      plugin: llm,
      sessions: [
        {suffix: '', channel: 'default', sessionId: DEFAULT_SESSION},
        {suffix: `:${PRACTICE_SESSION}`, channel: 'practice', sessionId: PRACTICE_SESSION},
      ],
    },
  ];
  const onlineHooks = [];

  for (const {plugin, sessions} of plugins) {
    for (const {suffix, channel, sessionId} of sessions) {
      const sid = () => wire.sidOf(plugin.getSocket(sessionId));
      plugin.on(`online${suffix}`, () => {
        emit('socket.online', {channel, sid: sid()});
        for (const fn of onlineHooks) fn(channel);
      });
      for (const kind of ['transient', 'permanent', 'replaced']) {
        plugin.on(`offline.${kind}${suffix}`, (event) => {
          emit('socket.offline', {
            channel,
            kind,
            code: event && event.code,
            reason: event && event.reason,
          });
        });
      }
      plugin.on(`event:mercury_shutdown_imminent${suffix}`, () => {
        emit('sdk', {name: 'mercury_shutdown_imminent', channel});
      });
      plugin.on(`event:mercury_shutdown_switchover_complete${suffix}`, (data) => {
        emit('socket.online', {channel, sid: sid(), switchover: true, url: data && data.url});
        emit('sdk', {name: 'mercury_shutdown_switchover_complete', channel});
      });
      plugin.on(`event:mercury_shutdown_switchover_failed${suffix}`, (data) => {
        emit('sdk', {name: 'mercury_shutdown_switchover_failed', channel, data: {reason: errorText(data && data.reason)}});
      });
      plugin.on(`connection_failed${suffix}`, (reason, info) => {
        emit('sdk', {name: 'connection_failed', channel, data: {reason: errorText(reason), retries: info && info.retries}});
      });
      plugin.on(`sequence-mismatch${suffix}`, (actual, expected) => {
        emit('sdk', {name: 'sequence-mismatch', channel, data: {actual, expected}});
      });
    }
  }
  return {onOnline: (fn) => onlineHooks.push(fn)};
}

function watchVoicea(webex, onCaption) {
  const {voicea} = webex.internal;
  voicea.on('voicea:newCaption', (payload) => {
    const transcripts = (payload && payload.transcripts) || [];
    const text = transcripts.map((t) => t && t.text).filter(Boolean).join(' ');
    const fields = {
      channel: wire.channelOfTranscript(payload && payload.transcriptId),
      transcriptId: payload && payload.transcriptId,
      text,
      final: Boolean(payload && payload.isFinal),
    };
    emit('caption', fields);
    onCaption(fields);
  });
  for (const name of ['voicea:announcement', 'voicea:captionOn', 'voicea:transcribingOn', 'voicea:transcribingOff']) {
    voicea.on(name, (payload) => emit('sdk', {name, data: summarize(payload)}));
  }
}

// Every trigger of a Meeting object becomes an `sdk` line; `after` runs once the SDK's own
// listeners have seen it (the phase and caption logic reads the SDK's state then).
function watchMeeting(meeting, after) {
  if (meeting._dcmonWatched) return;
  meeting._dcmonWatched = true;
  const trigger = meeting.trigger;
  meeting.trigger = function observedTrigger(name, ...args) {
    const result = trigger.call(this, name, ...args);
    try {
      if (typeof name === 'string' && !QUIET_MEETING_EVENTS.has(name)) {
        emit('sdk', {name, meetingId: meeting.id, data: summarize(args[0])});
      }
      after(name, args[0]);
    } catch (error) {
      emit('error', {kind: 'driver', message: `meeting event ${name}: ${errorText(error)}`});
    }
    return result;
  };
}

module.exports = {watchSockets, watchVoicea, watchMeeting, llmChannel, PRACTICE_SESSION, DEFAULT_SESSION};
