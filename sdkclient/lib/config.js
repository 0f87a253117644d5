'use strict';
// The SDK's configuration for a local backend: every discovery and pre-discovery URL the SDK
// knows points at the given loopback server (TOOLCHAIN.md: a token shaped like a_b_<orgId>
// makes webex-core look U2C up by org, so no discovery entry may keep its cloud default).
// The catalog itself comes from the server's U2C answer; nothing here is a shim.

function localConfig(server, {automaticLLM = true} = {}) {
  const base = String(server).replace(/\/+$/, '');
  const url = new URL(base);
  const hydra = `${base}/hydra/v1`;
  const metrics = `${base}/metrics/api/v1`;
  const atlas = `${base}/atlas/api/v1`;
  const clientLogs = `${base}/clientlogs/api/v1`;
  return {
    services: {
      discovery: {
        u2c: `${base}/u2c/api/v1`,
        hydra,
        sqdiscovery: `${base}/sqdiscovery/v1/region`,
      },
      // the AuthInterceptor adds `authorization` only for allowed hosts
      allowedDomains: [url.host, url.hostname],
    },
    // what the `webex` package's own config adds when an app calls Webex.init (it is not
    // installed here: require('webex') fails in Node): an ephemeral device (ttl in the
    // registration body, multipleConnections=true on the device socket)
    device: {
      validateDomains: true,
      ephemeral: true,
      // used until the catalog is in (device, metrics, support and user plugins' defaults)
      preDiscoveryServices: {
        hydra,
        hydraServiceUrl: hydra,
        metrics,
        metricsServiceUrl: metrics,
        atlas,
        atlasServiceUrl: atlas,
        clientLogs,
        clientLogsServiceUrl: clientLogs,
      },
    },
    credentials: {
      clientType: 'confidential',
      idbroker: {url: `${base}/idbroker`},
      identity: {url: `${base}/identity`},
    },
    meetings: {
      // as the SDK's sample app sets it: the join-time and info-change LLM connects
      enableAutomaticLLM: automaticLLM,
    },
  };
}

module.exports = {localConfig};
