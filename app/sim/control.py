"""`SimControl`: async client of the `/sim/` API for the host console, tests and scripts."""

from __future__ import annotations

import ssl
from typing import Any

import httpx


class SimControlError(Exception):
    """A `/sim/` call failed; `status` is the HTTP status (0: no answer at all)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"simulator answered {status}: {message}" if status else message)
        self.status = status
        self.message = message


class SimControl:
    def __init__(
        self, base_url: str, timeout: float = 10.0, verify: bool | str | ssl.SSLContext = True
    ) -> None:
        self.base_url = base_url.rstrip("/")
        # trust_env=False: no proxies or CA files from the environment for a loopback server.
        # verify: a CA file (or context) for a simulator serving TLS with a test CA.
        if isinstance(verify, str):
            verify = ssl.create_default_context(cafile=verify)
        self._http = httpx.AsyncClient(
            base_url=self.base_url, timeout=timeout, trust_env=False, verify=verify
        )

    async def __aenter__(self) -> SimControl:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict:
        try:
            response = await self._http.request(method, path, json=body)
        except httpx.HTTPError as exc:
            message = f"no answer from the simulator at {self.base_url}: {exc!r}"
            raise SimControlError(0, message) from exc
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code >= 400:
            message = data.get("message") if isinstance(data, dict) else None
            raise SimControlError(response.status_code, message or response.text[:200])
        if not isinstance(data, dict):
            raise SimControlError(response.status_code, "answer is not a JSON object")
        return data

    @staticmethod
    def _meeting(meeting_id: str) -> str:
        return f"/sim/meetings/{meeting_id}"

    async def create_meeting(
        self,
        meeting_id: str | None = None,
        lobby: bool = True,
        webinar: bool = True,
        keep_alive_secs: int | None = None,
        token_ttl_secs: int | None = None,
        transcription_per_second: float | None = None,
        captions: bool | None = None,
        join_role: str | None = None,
    ) -> dict:
        """`transcription_per_second`: a caption rate that runs from the start (relayed
        while captions are on); `captions`: start with captions already on; `join_role`: the
        role of a join whose body names none (the SDK's never does): "PANELIST" makes an
        invited panelist."""
        body: dict[str, Any] = {"lobby": lobby, "webinar": webinar}
        if transcription_per_second is not None:
            body["transcriptionPerSecond"] = transcription_per_second
        if captions is not None:
            body["captions"] = captions
        if join_role is not None:
            body["joinRole"] = join_role
        if meeting_id is not None:
            body["meetingId"] = meeting_id
        if keep_alive_secs is not None:
            body["keepAliveSecs"] = keep_alive_secs
        if token_ttl_secs is not None:
            body["tokenTtlSecs"] = token_ttl_secs
        return await self._call("POST", "/sim/meetings", body)

    async def state(self, meeting_id: str) -> dict:
        return await self._call("GET", self._meeting(meeting_id))

    async def end_meeting(self, meeting_id: str) -> dict:
        return await self._call("DELETE", self._meeting(meeting_id))

    async def admit(self, meeting_id: str, participant_id: str | None = None) -> dict:
        body = {"participantId": participant_id} if participant_id else {}
        return await self._call("POST", self._meeting(meeting_id) + "/admit", body)

    async def to_lobby(self, meeting_id: str, participant_id: str) -> dict:
        body = {"participantId": participant_id}
        return await self._call("POST", self._meeting(meeting_id) + "/lobby", body)

    async def set_roles(self, meeting_id: str, participant_id: str, roles: list[str]) -> dict:
        body = {"participantId": participant_id, "roles": list(roles)}
        return await self._call("POST", self._meeting(meeting_id) + "/roles", body)

    async def practice_session(self, meeting_id: str, enabled: bool) -> dict:
        body = {"enabled": enabled}
        return await self._call("POST", self._meeting(meeting_id) + "/practice-session", body)

    async def rotate(self, meeting_id: str, channel: str) -> dict:
        return await self._call("POST", self._meeting(meeting_id) + "/rotate", {"channel": channel})

    async def tokens(self, meeting_id: str, action: str, token_type: str | None = None) -> dict:
        body: dict[str, Any] = {"action": action}
        if token_type is not None:
            body["tokenType"] = token_type
        return await self._call("POST", self._meeting(meeting_id) + "/tokens", body)

    async def transcription(self, meeting_id: str, per_second: float) -> dict:
        body = {"perSecond": per_second}
        return await self._call("POST", self._meeting(meeting_id) + "/transcription", body)

    async def captions(self, meeting_id: str, enabled: bool) -> dict:
        """The host turns captions on or off."""
        body = {"enabled": enabled}
        return await self._call("POST", self._meeting(meeting_id) + "/captions", body)

    async def features(self, jwt_token: bool) -> dict:
        """The `data-channel-with-jwt-token` toggle for device registrations from now on."""
        return await self._call("POST", "/sim/features", {"data-channel-with-jwt-token": jwt_token})

    async def faults(self) -> dict:
        """Active faults, socket latency / half-open sockets and transcription rates."""
        return await self._call("GET", "/sim/faults")

    async def fault(
        self,
        endpoint: str,
        mode: str,
        delay_ms: int | None = None,
        status: int | None = None,
        count: int | None = None,
        body_text: str | None = None,
        retry_after: int | bool | None = None,
    ) -> dict:
        """`retry_after`: seconds for `Retry-After`, False for none (a 503 sends 1 s)."""
        body: dict[str, Any] = {"endpoint": endpoint, "mode": mode}
        if retry_after is not None:
            body["retryAfter"] = retry_after
        options = (("delayMs", delay_ms), ("status", status), ("count", count), ("body", body_text))
        for key, value in options:
            if value is not None:
                body[key] = value
        return await self._call("POST", "/sim/faults", body)

    async def clear_faults(self) -> dict:
        return await self._call("DELETE", "/sim/faults")

    async def clear_fault(self, endpoint: str) -> dict:
        """Clear one endpoint's fault; the others stay with their calls left."""
        return await self._call("DELETE", f"/sim/faults/{endpoint}")

    async def socket(
        self,
        meeting_id: str,
        channel: str,
        action: str,
        participant_id: str | None = None,
        code: int | None = None,
        reason: str | None = None,
        ms: int | None = None,
        frame: str | None = None,
    ) -> dict:
        body: dict[str, Any] = {"meetingId": meeting_id, "channel": channel, "action": action}
        extras = (
            ("participantId", participant_id),
            ("code", code),
            ("reason", reason),
            ("ms", ms),
            ("frame", frame),
        )
        for key, value in extras:
            if value is not None:
                body[key] = value
        return await self._call("POST", "/sim/sockets", body)
