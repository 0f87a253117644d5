'use strict';
// The driver's commands (LINES.md), done with the SDK's public API as an app does them:
// a webex instance with the user's token, meetings.register(), create + join without
// media, captions turned on as soon as the SDK allows, leave, unregister.

const {emit} = require('./out');
const {mask, remember, jwtExp} = require('./mask');
const {errorText, summarize} = require('./summary');
const {loadSdk} = require('./sdk');
const {localConfig} = require('./config');
const httptap = require('./httptap');
const wire = require('./wire');
const observe = require('./observe');

const CATALOG_WAIT_S = 10;

// Cloud defaults that some SDK configs read from the environment at load time: pointed at
// the local server before the SDK is required (belt and braces with localConfig()).
function pointEnvironmentAt(server) {
  const base = String(server).replace(/\/+$/, '');
  Object.assign(process.env, {
    U2C_SERVICE_URL: `${base}/u2c/api/v1`,
    HYDRA_SERVICE_URL: `${base}/hydra/v1`,
    SQDISCOVERY_SERVICE_URL: `${base}/sqdiscovery/v1/region`,
    METRICS_SERVICE_URL: `${base}/metrics/api/v1`,
    ATLAS_SERVICE_URL: `${base}/atlas/api/v1`,
    CLIENT_LOGS_SERVICE_URL: `${base}/clientlogs/api/v1`,
    IDBROKER_BASE_URL: `${base}/idbroker`,
    IDENTITY_BASE_URL: `${base}/identity`,
    CONVERSATION_SERVICE: `${base}/conversation/api/v1`,
  });
}

class Session {
  constructor({sdkDir} = {}) {
    this.sdkDir = sdkDir;
    this.sdk = null;
    this.webex = null;
    this.meeting = null;
    this.wantCaptions = true;
    this.captionsStarting = false;
    this.lastPhase = null;
    this.tokens = {}; // channel -> {masked, exp, source}
    this.captionCount = 0;
  }

  // --- start -------------------------------------------------------------------------
  async start({server, token, automaticLLM = true, captions = true}) {
    if (this.webex) throw new Error('already started');
    if (!server) throw new Error('start needs "server"');
    if (!token) throw new Error('start needs "token"');
    remember(token);
    this.wantCaptions = captions !== false;
    this.server = String(server).replace(/\/+$/, '');
    pointEnvironmentAt(this.server);
    this.sdk = loadSdk({dir: this.sdkDir});
    wire.installWireTap(this.sdk.Socket);
    httptap.setClassifier((method, url) => this.classify(method, url));
    httptap.onAnswer((answer) => this.onHttpAnswer(answer));

    const webex = new this.sdk.WebexCore({
      credentials: {access_token: token},
      config: localConfig(this.server, {automaticLLM: automaticLLM !== false}),
    });
    this.webex = webex;
    const sockets = observe.watchSockets(webex);
    sockets.onOnline(() => this.maybeStartCaptions());
    observe.watchVoicea(webex, () => {
      this.captionCount += 1;
    });
    wire.onFrameIn((info, frame) => this.onFrameIn(info, frame));
    webex.meetings.on('meeting:added', (e) => emit('sdk', {name: 'meeting:added', data: summarize({type: e && e.type, meetingId: e && e.meeting && e.meeting.id})}));
    webex.meetings.on('meeting:removed', (e) => emit('sdk', {name: 'meeting:removed', data: summarize(e)}));

    await this.waitReady();
    await this.ensureCatalog();
    await webex.meetings.register();
    emit('sdk', {name: 'meetings:registered', data: {deviceUrl: webex.internal.device.url}});
    return {
      deviceUrl: webex.internal.device.url,
      dataChannelWithJwtToken: await this.featureToggle(),
    };
  }

  waitReady() {
    const {webex} = this;
    if (webex.ready) return Promise.resolve();
    return new Promise((resolve) => webex.once('ready', resolve));
  }

  // The SDK collects its catalog from U2C once it has an org id, which it reads from the
  // token (a_b_<orgId>, or a JWT with a realm). A token it cannot read an org from leaves
  // the catalog unready, and every request then waits 5 s for its service: only in that case
  // the driver asks the SDK for the post-auth catalog itself (the one shim of this kind; it
  // is reported as a `shim` line and named in README.md).
  async ensureCatalog() {
    const services = this.webex.internal.services;
    let why;
    try {
      // this also starts the SDK's own collection (initServiceCatalogs) if it has not run
      await services.waitForCatalog('postauth', CATALOG_WAIT_S);
      return;
    } catch (error) {
      why = errorText(error);
    }
    if (services._getCatalog().status.postauth.ready) return;
    emit('shim', {name: 'catalog', reason: `the SDK did not collect its catalog (${why}); the driver calls services.updateServices() and marks the catalog ready`});
    await services.updateServices();
    services._getCatalog().isReady = true;
  }

  async featureToggle() {
    try {
      return Boolean(await this.webex.internal.llm.isDataChannelTokenEnabled());
    } catch {
      return undefined;
    }
  }

  // --- join / leave ------------------------------------------------------------------
  async join({meeting: destination}) {
    this.requireStarted();
    if (!destination) throw new Error('join needs "meeting"');
    if (this.meeting && this.phaseOf(this.meeting) !== 'left') throw new Error('already in a meeting');
    const meeting = await this.webex.meetings.create(String(destination));
    // create() may hand back the Meeting object of an earlier, left visit to the same locus
    meeting._dcmonLeft = false;
    this.meeting = meeting;
    this.lastPhase = null;
    observe.watchMeeting(meeting, () => {
      this.reportPhase();
      this.maybeStartCaptions();
    });
    try {
      await meeting.join({});
    } catch (error) {
      // a failed join leaves no meeting behind: the next join must not be refused
      this.meeting = null;
      this.lastPhase = null;
      throw error;
    }
    this.reportPhase();
    this.maybeStartCaptions();
    return {meetingId: meeting.id, locusUrl: meeting.locusUrl, phase: this.phaseOf(meeting)};
  }

  async leave() {
    const meeting = this.requireMeeting();
    await meeting.leave();
    this.reportPhase('left');
    return {phase: 'left'};
  }

  // --- captions ----------------------------------------------------------------------
  async captions({on}) {
    this.wantCaptions = on !== false;
    const meeting = this.meeting;
    if (!this.wantCaptions) {
      if (meeting) meeting.stopTranscription();
      emit('captions', {state: 'off'});
      return {state: 'off'};
    }
    await this.maybeStartCaptions();
    return {state: this.captionState()};
  }

  captionState() {
    const status = this.webex && this.webex.internal.voicea.getCaptionStatus();
    if (status === 'enabled') return 'on';
    if (status === 'sending') return 'requested';
    return this.wantCaptions ? 'waiting' : 'off';
  }

  // startTranscription() needs a joined meeting and a connected LLM (voicea throws "can not
  // turn on captions before llm connected", which the SDK swallows): call it the moment both
  // hold, once per meeting, as an app with captions on would. A later reconnect does not
  // call it again: what 3.12.0 does after a reconnect is its own.
  async maybeStartCaptions() {
    const meeting = this.meeting;
    if (!this.wantCaptions || !meeting || this.captionsStarting) return;
    const {voicea, llm} = this.webex.internal;
    if (this.phaseOf(meeting) !== 'joined') return;
    if (['enabled', 'sending'].includes(voicea.getCaptionStatus())) return;
    if (!llm.isConnected() && !llm.isConnected(observe.PRACTICE_SESSION)) return;
    this.captionsStarting = true;
    emit('captions', {state: 'requested'});
    try {
      await meeting.startTranscription();
    } catch (error) {
      emit('error', {kind: 'sdk', message: `startTranscription: ${errorText(error)}`});
    } finally {
      this.captionsStarting = false;
    }
    emit('captions', {state: voicea.getCaptionStatus() === 'enabled' ? 'on' : 'failed'});
  }

  // --- reconnect ---------------------------------------------------------------------
  // What the SDK exposes for one socket: Mercury#disconnect (close 1000 "Done", which the SDK
  // treats as final) then Mercury#connect to the URL that socket had, as its own _reconnect
  // does after a transient close.
  async reconnect({channel}) {
    this.requireStarted();
    const {mercury, llm} = this.webex.internal;
    const target = {
      device: {plugin: mercury, sessionId: mercury.defaultSessionId},
      default: {plugin: llm, sessionId: observe.DEFAULT_SESSION},
      practice: {plugin: llm, sessionId: observe.PRACTICE_SESSION},
    }[channel];
    if (!target) throw new Error('reconnect needs "channel": device, default or practice');
    const socket = target.plugin.getSocket(target.sessionId);
    const url = socket && socket.url;
    if (!url && channel !== 'device') throw new Error(`no ${channel} socket to reconnect`);
    await target.plugin.disconnect(undefined, target.sessionId);
    await target.plugin.connect(channel === 'device' ? undefined : url, target.sessionId);
    return {channel};
  }

  // --- state / quit ------------------------------------------------------------------
  state() {
    const webex = this.webex;
    if (!webex) return {started: false};
    const {llm, mercury, voicea} = webex.internal;
    const meeting = this.meeting;
    return {
      started: true,
      deviceUrl: webex.internal.device.url,
      sockets: {
        device: Boolean(mercury.connected),
        default: Boolean(llm.isConnected()),
        practice: Boolean(llm.isConnected(observe.PRACTICE_SESSION)),
      },
      meeting: meeting ? {meetingId: meeting.id, locusUrl: meeting.locusUrl, ...this.phaseFields(meeting)} : null,
      captions: {state: this.captionState(), announce: voicea.getAnnounceStatus(), received: this.captionCount},
      tokens: this.tokens,
    };
  }

  async quit() {
    if (!this.webex) return {};
    if (this.meeting && ['lobby', 'joined'].includes(this.phaseOf(this.meeting))) {
      try {
        await this.meeting.leave();
        this.reportPhase('left');
      } catch (error) {
        emit('error', {kind: 'command', message: `leave on quit: ${errorText(error)}`});
      }
    }
    await this.webex.meetings.unregister();
    return {};
  }

  // --- derived state -----------------------------------------------------------------
  phaseOf(meeting) {
    const state = meeting.joinedWith && meeting.joinedWith.state;
    if (meeting._dcmonLeft) return 'left';
    // before the stale LEFT of an earlier visit: a rejoin waiting in the lobby is in the lobby
    if (meeting.isUserUnadmitted) return 'lobby';
    if (state === 'LEFT') return 'left';
    if (state === 'JOINED') return 'joined';
    return 'joining';
  }

  phaseFields(meeting) {
    const roles = Array.isArray(meeting.roles) ? meeting.roles.slice() : [];
    const webinar = meeting.webinar || {};
    return {phase: this.phaseOf(meeting), roles, practiceSession: Boolean(webinar.practiceSessionEnabled)};
  }

  reportPhase(force) {
    const meeting = this.meeting;
    if (!meeting) return;
    if (force === 'left') meeting._dcmonLeft = true;
    const fields = this.phaseFields(meeting);
    const key = JSON.stringify(fields);
    if (key === this.lastPhase) return;
    this.lastPhase = key;
    emit('phase', fields);
  }

  // What an HTTP request is for, from the SDK's own state (LINES.md `what`, `channel`).
  classify(method, url) {
    const path = (() => {
      try {
        return new URL(url).pathname;
      } catch {
        return String(url);
      }
    })();
    const info = (this.meeting && this.meeting.locusInfo && this.meeting.locusInfo.info) || {};
    const bare = String(url).split('?')[0].replace(/\/+$/, '');
    const same = (u) => u && String(u).split('?')[0].replace(/\/+$/, '') === bare;
    if (method === 'POST' && same(info.datachannelUrl)) return {what: 'register', channel: 'default'};
    if (method === 'POST' && same(info.practiceSessionDatachannelUrl)) return {what: 'register', channel: 'practice'};
    if (/\/practiceSession\/datachannel\/token$/.test(path)) return {what: 'token', channel: 'practice'};
    if (/\/datachannel\/token$/.test(path)) return {what: 'token', channel: 'default'};
    if (/\/catalog$/.test(path)) return {what: 'catalog'};
    if (/\/devices(\/[^/]+)?$/.test(path)) return {what: 'device'};
    if (/\/meetingInfo$/.test(path)) return {what: 'meetingInfo'};
    if (/\/loci\/call$/.test(path) || (method === 'POST' && /\/participant$/.test(path))) return {what: 'join'};
    if (/\/leave$/.test(path)) return {what: 'leave'};
    if (/\/controls\/?$/.test(path)) return {what: 'controls'};
    if (/\/keepAlive$/i.test(path)) return {what: 'keepalive'};
    if (/metrics/.test(path)) return {what: 'metrics'};
    if (/\/datachannel\//.test(path) && method === 'POST') return {what: 'register'};
    return {};
  }

  onHttpAnswer({method, url, status, body}) {
    if (!body || status < 200 || status >= 300) return;
    const {what, channel} = this.classify(method, url);
    if (what === 'token' && body.datachannelToken) this.noteToken(channel, body.datachannelToken, 'fetch');
    if (what === 'join' && body.locus && body.locus.self) {
      const self = body.locus.self;
      if (self.datachannelToken) this.noteToken('default', self.datachannelToken, 'join');
      if (self.practiceSessionDatachannelToken) this.noteToken('practice', self.practiceSessionDatachannelToken, 'join');
    }
  }

  // A locus push carrying a token (PROTOCOL.md says none does; shown if one does).
  onFrameIn(info, frame) {
    if (info.channel !== 'device' || !frame || !frame.data || !frame.data.locus) return;
    const self = frame.data.locus.self || {};
    if (self.datachannelToken) this.noteToken('default', self.datachannelToken, 'push');
    if (self.practiceSessionDatachannelToken) this.noteToken('practice', self.practiceSessionDatachannelToken, 'push');
  }

  noteToken(channel, token, source) {
    remember(String(token));
    const fields = {channel, source, masked: mask(String(token)), exp: jwtExp(token)};
    const prev = this.tokens[channel];
    if (prev && prev.masked === fields.masked && prev.source === source) return;
    this.tokens[channel] = fields;
    emit('token', fields);
  }

  requireStarted() {
    if (!this.webex) throw new Error('not started (send "start" first)');
  }

  requireMeeting() {
    this.requireStarted();
    if (!this.meeting) throw new Error('not in a meeting');
    return this.meeting;
  }
}

module.exports = {Session};
