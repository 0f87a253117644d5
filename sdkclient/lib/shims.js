'use strict';
// Browser globals that @webex/plugin-meetings 3.12.0 touches at load time or during a join
// without media (SDK_FLOW.md "Node shims that were enough"). Each one is named, with the
// reason, in README.md. None of them changes what the SDK sends or how it handles an answer:
// they only let a browser-targeted package load and run its non-media paths in Node.

const noop = () => {};

function installShims(target = globalThis) {
  const installed = [];
  const define = (name, value) => {
    if (target[name] === undefined) {
      target[name] = value;
      installed.push(name);
    }
  };

  // `window` / `self`: browser-detection and event code reads them (internal-media-core
  // needs `window` to exist at require time).
  define('window', target);
  define('self', target);

  // `navigator`: bowser reads userAgent; the device plugin's media-device listener calls
  // mediaDevices.addEventListener; reachability/media code asks enumerateDevices and
  // getSupportedConstraints; permissions.query is probed for camera/microphone state.
  if (target.navigator === undefined || target.navigator.mediaDevices === undefined) {
    const nav = target.navigator || {};
    const mediaDevices = {
      addEventListener: noop,
      removeEventListener: noop,
      enumerateDevices: async () => [],
      getSupportedConstraints: () => ({}),
    };
    const shim = {
      userAgent: nav.userAgent || `Mozilla/5.0 (node ${process.version}) dcmon-sdkclient`,
      language: 'en-US',
      mediaDevices,
      permissions: {query: async () => ({state: 'prompt', addEventListener: noop})},
    };
    try {
      Object.defineProperty(target, 'navigator', {value: shim, configurable: true, writable: true});
    } catch {
      target.navigator = shim;
    }
    installed.push('navigator');
  }

  // `document`: visibility listeners and a canvas probe (createElement(...).getContext).
  define('document', {
    createElement: () => ({getContext: () => null, style: {}, setAttribute: noop}),
    addEventListener: noop,
    removeEventListener: noop,
    visibilityState: 'visible',
    hidden: false,
  });

  // WebRTC constructors: referenced at load time; media is never started, so a
  // RTCPeerConnection that throws is the honest stand-in ("no WebRTC in node").
  define(
    'RTCPeerConnection',
    class RTCPeerConnection {
      constructor() {
        throw new Error('no WebRTC in node (dcmon sdkclient joins without media)');
      }
    }
  );
  define('MediaStream', class MediaStream {
    getTracks() {
      return [];
    }
  });
  define('MediaStreamTrack', class MediaStreamTrack {});

  // `location`: URL helpers read location.href / hostname.
  define('location', {
    href: 'http://127.0.0.1/',
    hostname: '127.0.0.1',
    protocol: 'http:',
    origin: 'http://127.0.0.1',
  });

  return installed;
}

module.exports = {installShims};
