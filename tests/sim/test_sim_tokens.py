"""Datachannel tokens and registration: 400/401/403/404 rules (PROTOCOL.md 3 and 4.1)."""

from __future__ import annotations

import pytest
from sim_helpers import DEFAULT, PRACTICE, participant
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from app.sim.model import IssuedToken
from app.sim.tokens import TokenMint, decode_unverified, mask


async def admitted(ctl, guest_factory, meeting="L1", role=None, lobby=True):
    await ctl.create_meeting(meeting, lobby=lobby)
    guest = guest_factory()
    await guest.register_device(with_socket=False)
    await guest.join(meeting, role=role)
    if lobby:
        await ctl.admit(meeting, guest.pid)
    return guest


async def test_token_endpoint_rules(sim, ctl, guest_factory):
    await ctl.create_meeting("L1", lobby=True)
    guest = guest_factory()
    await guest.register_device(with_socket=False)
    await guest.join("L1")
    lobby = await guest.token(DEFAULT)
    assert lobby.status_code == 403 and "admitted" in lobby.json()["message"]

    await ctl.admit("L1")
    ok = await guest.token(DEFAULT)
    assert ok.status_code == 200
    assert set(ok.json()) == {"datachannelToken"}  # the type is the client's (PROTOCOL.md 3)
    claims = decode_unverified(ok.json()["datachannelToken"])
    assert claims["sub"] == guest.pid and claims["meeting"] == "L1" and claims["jti"]

    token_url = f"{guest.locus_url}/participant/{guest.pid}/datachannel/token"
    # the SDK's locus request layer may send a body with the GET: tolerated, whatever it is
    for body in (b"{}", b'{"sequence": {"entries": [1]}}', b"not json"):
        with_body = await guest.http.request("GET", token_url, content=body)
        assert with_body.status_code == 200, with_body.text
    old_dialect = await guest.http.post(token_url, json={"tokenType": DEFAULT})
    assert old_dialect.status_code == 405  # no dialect of ours left
    assert (await guest.token(PRACTICE)).status_code == 403  # no practice session
    await ctl.practice_session("L1", True)
    assert (await guest.token(PRACTICE)).status_code == 403  # attendee
    await ctl.set_roles("L1", guest.pid, ["PANELIST"])
    assert (await guest.token(PRACTICE)).status_code == 200
    await ctl.practice_session("L1", False)
    assert (await guest.token(PRACTICE)).status_code == 403

    tokens = participant(await ctl.state("L1"), guest.pid)["tokens"]
    assert [t["tokenType"] for t in tokens] == [DEFAULT] * 4 + [PRACTICE]
    assert all(t["exp"] > t["iat"] for t in tokens)


async def test_registration_answers_and_counts(sim, ctl, guest_factory):
    guest = await admitted(ctl, guest_factory)
    view = await ctl.state("L1")
    token = (await guest.token()).json()["datachannelToken"]
    first = await guest.register(view["datachannelUrl"], token)
    second = await guest.register(view["datachannelUrl"], token)
    assert first.status_code == second.status_code == 200
    body = first.json()
    assert body["webSocketUrl"].startswith(f"ws://127.0.0.1:{sim.base_url.rsplit(':', 1)[1]}/llm/")
    assert body["binding"] and body["binding"] != second.json()["binding"]
    channels = participant(await ctl.state("L1"), guest.pid)["channels"]
    assert channels["default"]["registrations"] == 2
    assert channels["practice"]["registrations"] == 0


async def test_registration_401_cases(sim, ctl, guest_factory):
    guest = await admitted(ctl, guest_factory)
    other = await admitted(ctl, guest_factory, meeting="L2")
    dc_url = (await ctl.state("L1"))["datachannelUrl"]
    token = (await guest.token()).json()["datachannelToken"]

    assert (await guest.register(dc_url, None)).status_code == 401
    assert (await guest.register(dc_url, "not-a-jwt")).status_code == 401
    forged = TokenMint().mint(decode_unverified(token))  # same claims, another secret
    assert (await guest.register(dc_url, forged)).status_code == 401
    foreign = (await other.token()).json()["datachannelToken"]
    assert (await guest.register(dc_url, foreign)).status_code == 401

    await ctl.practice_session("L1", True)
    await ctl.set_roles("L1", guest.pid, ["PANELIST"])
    practice_token = (await guest.token(PRACTICE)).json()["datachannelToken"]
    wrong_type = await guest.register(dc_url, practice_token)
    assert wrong_type.status_code == 401 and "does not open" in wrong_type.json()["message"]

    assert (await guest.register(dc_url, token)).status_code == 200
    await ctl.tokens("L1", "expire", DEFAULT)
    expired = await guest.register(dc_url, token)
    assert expired.status_code == 401 and "expired" in expired.json()["message"]
    practice_url = (await ctl.state("L1"))["practiceSessionDatachannelUrl"]
    assert (await guest.register(practice_url, practice_token)).status_code == 200

    fresh = (await guest.token()).json()["datachannelToken"]
    assert (await guest.register(dc_url, fresh)).status_code == 200
    answer = await ctl.tokens("L1", "revoke")
    assert answer["tokens"] >= 3
    assert (await guest.register(dc_url, fresh)).status_code == 401
    assert (await guest.register(practice_url, practice_token)).status_code == 401
    revoked = [t["revoked"] for t in participant(await ctl.state("L1"), guest.pid)["tokens"]]
    assert all(revoked)


async def test_registration_403_when_not_entitled(sim, ctl, guest_factory):
    guest = await admitted(ctl, guest_factory, role="PANELIST")
    await ctl.practice_session("L1", True)
    view = await ctl.state("L1")
    default_token = (await guest.token()).json()["datachannelToken"]
    practice_token = (await guest.token(PRACTICE)).json()["datachannelToken"]

    await ctl.set_roles("L1", guest.pid, ["ATTENDEE"])  # demoted
    demoted = await guest.register(view["practiceSessionDatachannelUrl"], practice_token)
    assert demoted.status_code == 403 and "panelist" in demoted.json()["message"]

    await ctl.set_roles("L1", guest.pid, ["PANELIST"])
    await ctl.practice_session("L1", False)
    ended = await guest.register(view["practiceSessionDatachannelUrl"], practice_token)
    assert ended.status_code == 403 and "practice" in ended.json()["message"]

    await ctl.to_lobby("L1", guest.pid)
    lobby = await guest.register(view["datachannelUrl"], default_token)
    assert lobby.status_code == 403 and "admitted" in lobby.json()["message"]


async def test_rotation_makes_url_and_websocket_urls_stale(sim, ctl, guest_factory):
    guest = await admitted(ctl, guest_factory)
    old_url = (await ctl.state("L1"))["datachannelUrl"]
    ws = await guest.connect_channel(old_url)
    token = (await guest.token()).json()["datachannelToken"]
    spare = (await guest.register(old_url, token)).json()["webSocketUrl"]

    rotated = await ctl.rotate("L1", "default")
    new_url = rotated["datachannelUrl"]
    assert new_url != old_url and "/r1/" in new_url
    stale = await guest.register(old_url, token)
    assert stale.status_code == 404 and "rotated" in stale.json()["message"]
    with pytest.raises(InvalidStatus) as refused:
        await connect(spare, open_timeout=5)
    assert refused.value.response.status_code == 404
    assert (await guest.register(new_url, token)).status_code == 200

    # Already-open sockets are left alone by a rotation.
    await ws.send('{"id": "p", "type": "ping"}')
    assert '"pong"' in await ws.recv()


async def test_unknown_datachannel_url_is_404(sim, ctl, guest_factory, http):
    await admitted(ctl, guest_factory)
    answer = await http.post(f"{sim.base_url}/datachannel/api/v1/locus/xyz/registrations")
    assert answer.status_code == 404


def test_issued_token_failure_rules():
    token = IssuedToken("j", DEFAULT, "L1", "P1", iat=100, exp=200)
    assert token.failure(199.0) is None
    assert "exp" in (token.failure(200.0) or "")
    token.expired = True
    assert "expired" in (token.failure(150.0) or "")
    token.revoked = True
    assert "revoked" in (token.failure(150.0) or "")


def test_jwt_round_trip_and_tampering():
    mint = TokenMint()
    token = mint.mint({"sub": "P1", "exp": 123})
    assert mint.verify(token) == {"sub": "P1", "exp": 123}
    header, payload, signature = token.split(".")
    assert mint.verify(f"{header}.{payload}.{signature[:-2]}xx") is None
    assert mint.verify("a.b") is None and mint.verify("a.b.c") is None
    assert mask(token) == f"{token[:6]}...{token[-4:]}"
    assert token not in mask(token)
