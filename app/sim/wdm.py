"""Bodies of the services the SDK reads besides locus: the device (WDM) answer, the U2C
catalog and the optional calls of `meetings.register()`. Shapes as served to the real SDK
3.12.0 in `shared/sdk-traces/` (SDK_FLOW.md), with every URL pointing at this server."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime
from typing import Any

from app.sim.records import JWT_FEATURE, Device

ORG_ID = "1eb65fdf-9643-417f-9974-ad72cae0e10f"
USER_ID = "c0ffee00-0000-4000-8000-000000000001"

# service name -> path on this server (the names the SDK looks up, as in the traces)
SERVICE_PATHS = {
    "locus": "/locus/api/v1",
    "wdm": "/wdm/api/v1",
    "hydra": "/hydra/v1",
    "u2c": "/u2c/api/v1",
    "metrics": "/metrics/api/v1",
    "clientLogs": "/clientlogs/api/v1",
    "conversation": "/conversation/api/v1",
    "webex-appapi-service": "/wbxappapi/v1",
    "calliopeDiscovery": "/calliope/api/discovery/v1",
    "identity": "/identity",
    "idbroker": "/idbroker",
    "atlas": "/atlas/api/v1",
    "unifiedTelemetry": "/telemetry/api/v1",
    "llm": "/llm/api/v1",
    "encryption": "/encryption/api/v1",
    "feature": "/feature/api/v1",
    "hecate": "/hecate/api/v1",
    "mercuryApi": "/mercury/api/v1",
    "mercuryConnection": "/mercury/v1",
    "ucmgmt-gateway": "/ucmgmt",
    "appcore": "/appcore",
    "lyra": "/lyra/api/v1",
    "janus": "/janus",
    "broadworksIdpProxy": "/broadworks",
    "contentsigning": "/contentsigning",
    "ecomm": "/ecomm",
}


def _now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + "000Z"


def catalog(base_url: str) -> dict[str, Any]:
    """`GET /u2c/api/v1/[limited/]catalog?format=hostmap`: every service here."""
    return {
        "serviceLinks": {name: base_url + path for name, path in SERVICE_PATHS.items()},
        "hostCatalog": {},
        "format": "hostmap",
        "timestamp": str(int(time.time() * 1000)),
    }


def device_answer(device: Device) -> dict[str, Any]:
    """The WDM device answer; the SDK reads `features.developer[]` for the JWT toggle."""
    flag = "true" if device.jwt_feature else "false"
    now = _now_iso()
    return {
        "url": device.url,
        "webSocketUrl": device.ws_url,
        "userId": USER_ID,
        "orgId": ORG_ID,
        "deviceType": device.device_type,
        "name": device.name,
        "modificationTime": now,
        "creationTime": now,
        "services": {},
        "serviceHostMap": {},
        "features": {
            "developer": [
                {
                    "key": JWT_FEATURE,
                    "val": flag,
                    "value": device.jwt_feature,
                    "mutable": True,
                    "type": "boolean",
                }
            ],
            "entitlement": [],
            "user": [],
        },
    }


def region(client: str) -> dict[str, Any]:
    return {
        "countryCode": "US",
        "regionCode": "US-WEST",
        "clientAddress": client,
        "clientRegion": "US-WEST",
        "timezone": "UTC",
    }


def _hydra_id(kind: str, uuid: str) -> str:
    return base64.b64encode(f"ciscospark://us/{kind}/{uuid}".encode()).decode()


def people_me(name: str = "dcmon guest") -> dict[str, Any]:
    """Hydra ids, as the traced server answered (the SDK decodes them)."""
    return {
        "id": _hydra_id("PEOPLE", USER_ID),
        "emails": ["guest@dcmon.invalid"],
        "displayName": name,
        "orgId": _hydra_id("ORGANIZATION", ORG_ID),
        "type": "person",
    }


def conversation_user() -> dict[str, Any]:
    return {
        "id": USER_ID,
        "entitlements": [],
        "name": "dcmon guest",
        "userPreferences": {"userPreferencesItems": {}},
    }


def calliope_clusters() -> dict[str, Any]:
    return {"clusters": {}, "joinCookie": {"anycastEntryPoint": "dcmon-sim"}}
