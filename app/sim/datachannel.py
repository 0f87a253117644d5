"""Datachannel tokens and registration (PROTOCOL.md sections 3 and 4.1).

Tokens: HS256 JWTs with exp = now + the meeting's tokenTtlSecs. Registration answers 401
for a missing, foreign, wrong-type, expired or revoked token, 403 when the participant may
not use the channel, 404 for a stale (rotated) URL; success issues a webSocketUrl key.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from app.sim.model import (
    CHANNEL_OF_TOKEN_TYPE,
    TOKEN_TYPES,
    IssuedToken,
    Meeting,
    Participant,
    SimError,
    SimModel,
    WsKey,
)
from app.sim.tokens import TokenMint, mask

log = logging.getLogger("app.sim")


class DatachannelService:
    def __init__(self, model: SimModel, mint: TokenMint) -> None:
        self.model = model
        self.mint = mint

    def issue(self, m: Meeting, p: Participant, token_type: str) -> str:
        now = int(time.time())
        jti = uuid.uuid4().hex
        exp = now + m.token_ttl_secs
        claims = {
            "iss": "dcmon-sim",
            "sub": p.id,
            "meeting": m.id,
            "tokenType": token_type,
            "iat": now,
            "exp": exp,
            "jti": jti,
        }
        token = self.mint.mint(claims)
        self.model.record_token(IssuedToken(jti, token_type, m.id, p.id, now, exp))
        log.info("meeting %s: %s token for %s: %s", m.id, token_type, p.id, mask(token))
        return token

    def issue_token(self, meeting_id: str, participant_id: str, token_type: Any) -> dict[str, str]:
        m = self.model.meeting(meeting_id, live=True)
        p = self.model.participant(m, participant_id)
        if token_type not in CHANNEL_OF_TOKEN_TYPE:
            raise SimError(
                400, f"unknown tokenType {token_type!r}; use one of {list(TOKEN_TYPES.values())}"
            )
        error = m.entitlement_error(p, CHANNEL_OF_TOKEN_TYPE[token_type])
        if error:
            raise SimError(403, f"no {token_type} token: {error}")
        token = self.issue(m, p, token_type)
        return {"datachannelToken": token}  # the type is the client's (PROTOCOL.md 3)

    def register(
        self, url: str, dc_token: str | None, device_url: Any, enforce: bool = True
    ) -> dict[str, str]:
        """`enforce` False: a registration without the header is taken on the device's word
        (its participant); a header, when sent, is still checked."""
        entry = self.model.dc_urls.get(url)
        if entry is None:
            raise SimError(404, "unknown datachannel URL")
        meeting_id, channel, rotation = entry
        m = self.model.meeting(meeting_id, live=True)
        if m.rotations[channel] != rotation:
            raise SimError(404, "stale datachannel URL (it was rotated)")
        claims = self.mint.verify(dc_token) if dc_token else None
        issued = self.model.tokens.get(str(claims.get("jti"))) if claims else None
        self._count_attempt(m, channel, issued, device_url)
        if not dc_token and not enforce:
            owner = m.by_device(device_url) if isinstance(device_url, str) else None
            if owner is None:
                raise SimError(403, "no participant of this meeting on that device")
            return self._accept(m, owner, channel, url)
        if not dc_token:
            raise SimError(401, "missing Data-Channel-Auth-Token header")
        if issued is None:
            raise SimError(401, f"token {mask(dc_token)} was not issued by this simulator")
        if issued.meeting_id != m.id:
            raise SimError(401, "token was issued for another meeting")
        if issued.token_type != TOKEN_TYPES[channel]:
            raise SimError(401, f"a {issued.token_type} token does not open the {channel} channel")
        p = self.model.participant(m, issued.participant_id)
        if isinstance(device_url, str) and device_url:
            owner = m.by_device(device_url)
            if owner is not None and owner.id != p.id:
                raise SimError(401, "token belongs to another participant")
        failure = issued.failure(time.time())
        if failure:
            raise SimError(401, failure)
        return self._accept(m, p, channel, url)

    def _accept(self, m: Meeting, p: Participant, channel: str, url: str) -> dict[str, str]:
        error = m.entitlement_error(p, channel)
        if error:
            raise SimError(403, error)
        key = self.model.add_key(m, p, channel, url)
        log.info("meeting %s: %s registered on %s (binding %s)", m.id, p.id, channel, key.binding)
        return {"webSocketUrl": f"{self.model.ws_base}/llm/{key.key}", "binding": key.binding}

    def _count_attempt(
        self, m: Meeting, channel: str, issued: IssuedToken | None, device_url: Any
    ) -> None:
        """Attribute a registration attempt to the token's participant (else the device's)."""
        owner = m.participants.get(issued.participant_id) if issued is not None else None
        if owner is None and isinstance(device_url, str):
            owner = m.by_device(device_url)
        if owner is not None:
            owner.registration_attempts[channel] += 1
            self.model.touch()

    def count_socket_attempt(self, key: str) -> None:
        """An upgrade to a webSocketUrl, accepted or not, counted for the key's participant."""
        k = self.model.key_history.get(key)
        m = self.model.meetings.get(k.meeting_id) if k else None
        p = m.participants.get(k.participant_id) if k and m else None
        if k is not None and p is not None:
            p.socket_attempts[k.channel] += 1
            self.model.touch()

    def channel_of(self, url: str) -> str | None:
        entry = self.model.dc_urls.get(url)
        return entry[1] if entry else None

    def ws_key(self, key: str) -> WsKey | None:
        """The registration behind a webSocketUrl, if it may still be used."""
        k = self.model.ws_keys.get(key)
        if k is None:
            return None
        m = self.model.meetings.get(k.meeting_id)
        p = m.participants.get(k.participant_id) if m else None
        if m is None or p is None or m.entitlement_error(p, k.channel):
            return None
        if m.datachannel_url(k.channel, self.model.base_url) != k.datachannel_url:
            return None
        return k
