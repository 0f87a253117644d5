"""The HTTP calls of the meeting, in the SDK's shapes (plugin-meetings `meeting/request.ts`,
internal-plugin-device `device.js`, internal-plugin-voicea `voicea.ts`). No state here: the
meeting decides when to call; this module only knows URLs and bodies.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from app.core import answers
from app.core.http import Http, HttpError, HttpResult
from app.core.locus import PRACTICE_TOKEN, MeetingView
from app.core.settings import Settings


def new_correlation_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class JoinRequest:
    url: str
    body: dict[str, Any]
    how: str  # "locus URL" or "invitee <address>"


class LocusApi:
    def __init__(self, http: Http, settings: Settings, server: str) -> None:
        self.http = http
        self.settings = settings
        self.server = server

    # -- device (WDM) -------------------------------------------------------------------
    def _device_body(self, name: str) -> dict[str, Any]:
        return {"name": name, "deviceName": name, "deviceType": self.settings.device_type,
                "model": "dcmon", "localizedModel": "dcmon", "systemName": "dcmon",
                "systemVersion": "1"}  # fmt: skip

    async def register_device(self, name: str) -> tuple[answers.DeviceAnswer, HttpResult]:
        url = self.server + self.settings.endpoints.device
        result = await self.http.call("device", "POST", url, body=self._device_body(name))
        return answers.parse_device_answer(result.body), result

    async def refresh_device(
        self, device_url: str, name: str
    ) -> tuple[answers.DeviceAnswer, HttpResult]:
        """`PUT {deviceUrl}` (device.js `refresh`): the features are read again from it."""
        result = await self.http.call("device", "PUT", device_url, body=self._device_body(name))
        return answers.parse_device_answer(result.body), result

    # -- join ---------------------------------------------------------------------------
    async def meeting_info(self, destination: str) -> answers.MeetingInfo:
        """`POST /wbxappapi/v1/meetingInfo` (the SDK's `create`; utilv2.ts: meetingKey)."""
        url = self.server + self.settings.endpoints.meeting_info
        body = {"meetingKey": destination, "supportHostKey": True, "supportCountryList": True}
        result = await self.http.call("meetingInfo", "POST", url, body=body)
        return answers.parse_meeting_info(result.body)

    def join_request(
        self,
        device_url: str,
        correlation_id: str,
        locus_url: str | None = None,
        invitee: str | None = None,
    ) -> JoinRequest:
        """request.ts `joinMeeting`: by locus URL, else `/loci/call` with an invitee."""
        body: dict[str, Any] = {
            "asResourceOccupant": False,
            "device": {"url": device_url, "deviceType": self.settings.device_type},
            "usingResource": None,
            "moveMediaToResource": False,
            "correlationId": correlation_id,
            "respOnlySdp": True,
            "allowMultiDevice": True,
            "ensureConversation": False,
            "supportsNativeLobby": 1,
            "clientMediaPreferences": {"preferTranscoding": True, "joinCookie": {}},
        }
        if locus_url:
            url = self.settings.endpoints.join.format(locus_url=locus_url.rstrip("/"))
            return JoinRequest(url, body, "locus URL")
        if not invitee:
            raise ValueError("join needs a locus URL or a meeting address")
        body["invitee"] = {"address": invitee}
        return JoinRequest(self.server + self.settings.endpoints.call, body, f"invitee {invitee}")

    async def join(self, request: JoinRequest) -> HttpResult:
        return await self.http.call("join", "POST", request.url, body=request.body)

    # -- leave --------------------------------------------------------------------------
    def leave_request(
        self, view: MeetingView, device_url: str | None, correlation_id: str | None
    ) -> tuple[str, dict[str, Any]]:
        """request.ts `leaveMeeting` (a locus delta request: the held sequence rides along)."""
        url = self.settings.endpoints.leave.format(
            locus_url=view.locus_url, participant_id=view.participant_id
        )
        body: dict[str, Any] = {
            "device": {"deviceType": self.settings.device_type, "url": device_url},
            "usingResource": None,
            "correlationId": correlation_id or new_correlation_id(),
        }
        if view.sequence_obj is not None:
            body["sequence"] = view.sequence_obj
        return url, body

    async def leave(self, url: str, body: dict[str, Any]) -> HttpResult:
        return await self.http.call("leave", "PUT", url, body=body)

    # -- datachannel token, captions, resync --------------------------------------------
    async def token(self, view: MeetingView, token_type: str) -> tuple[str, HttpResult]:
        """`GET .../datachannel/token` or `.../practiceSession/datachannel/token`; which one
        is the client's decision (Meeting#getDataChannelTokenType), not the answer's."""
        if view.participant_id is None:
            raise HttpError("token", "no participant id yet")
        template = (
            self.settings.endpoints.practice_token
            if token_type == PRACTICE_TOKEN
            else self.settings.endpoints.token
        )
        url = template.format(locus_url=view.locus_url, participant_id=view.participant_id)
        result = await self.http.call("token", "GET", url)
        return answers.parse_token_answer(result.body).token, result

    async def captions_on(self, locus_url: str, language: str | None = None) -> HttpResult:
        """voicea.ts `requestTurnOnCaptions`: `PUT {locusUrl}/controls/`."""
        body: dict[str, Any] = {"transcribe": {"caption": True}}
        if language:
            body["languageCode"] = language
        url = self.settings.endpoints.controls.format(locus_url=locus_url)
        return await self.http.call("captions", "PUT", url, body=body)

    async def resync(self, locus_url: str) -> HttpResult:
        return await self.http.call("resync", "GET", locus_url)
