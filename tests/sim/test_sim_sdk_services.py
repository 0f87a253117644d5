"""What the real SDK 3.12.0 needs around locus (SDK_FLOW.md, shared/sdk-traces): catalog,
register calls, device service with features, meetingInfo, both join routes, resync, leave."""

from __future__ import annotations

import httpx
import pytest
from sim_helpers import Guest, locus_push, participant, recv_until

from app.sim import SimControlError

JWT = "data-channel-with-jwt-token"


def developer_feature(device: dict, key: str = JWT) -> dict:
    return next(f for f in device["features"]["developer"] if f["key"] == key)


async def test_catalogs_point_every_service_at_this_server(sim, http):
    async with httpx.AsyncClient(base_url=sim.base_url, trust_env=False) as anonymous:
        limited = await anonymous.get(
            "/u2c/api/v1/limited/catalog", params={"orgId": "o", "format": "hostmap"}
        )
        assert limited.status_code == 200  # asked before login: no token
        assert (await anonymous.get("/u2c/api/v1/catalog")).status_code == 401
    full = await http.get("/u2c/api/v1/catalog", params={"format": "hostmap"})
    assert full.status_code == 200
    for answer in (limited, full):
        links = answer.json()["serviceLinks"]
        for name in ("locus", "wdm", "hydra", "webex-appapi-service", "metrics", "llm"):
            assert links[name].startswith(sim.base_url + "/"), name
        assert all(url.startswith(sim.base_url) for url in links.values())
        assert answer.json()["hostCatalog"] == {}
    assert links["locus"] == f"{sim.base_url}/locus/api/v1"


async def test_optional_register_calls_and_metrics(sim, http):
    assert (await http.get("/sqdiscovery/v1/region")).json()["clientAddress"] == "127.0.0.1"
    me = await http.get("/hydra/v1/people/me")
    assert me.status_code == 200 and me.json()["id"]
    assert (await http.get("/hydra/v1/meetingPreferences")).json() == {}
    assert (await http.get("/conversation/api/v1/users")).json()["id"]
    clusters = await http.post("/calliope/api/discovery/v1/clusters", json={"ipver": 0})
    assert clusters.json()["clusters"] == {} and "joinCookie" in clusters.json()
    metrics = await http.post("/metrics/api/v1/clientmetrics", json={"metrics": []})
    assert metrics.status_code == 204
    assert (await http.post("/metrics/api/v1/clientmetrics", content=b"{")).status_code == 204
    # the log upload the SDK asks for at leave (internal-plugin-support submitLogs)
    urls = await http.post("/clientlogs/api/v1/logs/urls", json={"file": "s.txt"})
    assert urls.json()["logFilename"] == "s.txt"
    assert urls.json()["tempURL"].startswith(f"{sim.base_url}/clientlogs/upload/")
    assert (await http.put(urls.json()["tempURL"], content=b"log")).status_code == 200
    assert (await http.post("/clientlogs/api/v1/logs/meta", json={})).status_code == 200


async def test_device_answer_features_refresh_and_delete(sim, ctl, http):
    created = await http.post(
        "/wdm/api/v1/devices?includeUpstreamServices=all",
        json={"name": "node", "deviceType": "WEB", "model": "web-js-sdk", "ttl": 1800},
    )
    assert created.status_code == 200
    device = created.json()
    assert device["url"].startswith(f"{sim.base_url}/wdm/api/v1/devices/")
    assert device["webSocketUrl"].startswith("ws://127.0.0.1:")
    assert developer_feature(device) == {
        "key": JWT,
        "val": "true",
        "value": True,
        "mutable": True,
        "type": "boolean",
    }

    assert (await ctl.features(False))["features"] == {JWT: False}
    # the toggle belongs to a device registration: this one keeps "true" until refreshed
    refreshed = await http.put(device["url"], json={"name": "node", "deviceType": "WEB"})
    assert refreshed.status_code == 200 and refreshed.json()["url"] == device["url"]
    assert developer_feature(refreshed.json())["val"] == "false"
    fresh = await http.post("/wdm/api/v1/devices", json={"name": "other"})
    assert developer_feature(fresh.json())["val"] == "false"
    assert (await http.get("/sim/features")).json()["features"] == {JWT: False}

    assert (await http.delete(device["url"])).status_code == 204
    assert (await http.delete(device["url"])).status_code == 404
    assert (await http.put(device["url"], json={})).status_code == 404
    bad = await http.post("/sim/features", json={JWT: "yes"})
    assert bad.status_code == 400 and JWT in bad.json()["message"]


async def test_toggle_off_registers_without_the_header(sim, ctl, guest_factory):
    await ctl.create_meeting("L1", lobby=False)
    await ctl.features(False)
    guest = guest_factory()
    await guest.register_device(with_socket=False)
    await guest.join("L1")
    view = await ctl.state("L1")
    assert participant(view, guest.pid)["deviceFeatures"] == {JWT: False}
    assert view["features"] == {JWT: False}
    answer = await guest.register(guest.locus["info"]["datachannelUrl"], None)
    assert answer.status_code == 200, answer.text
    assert answer.json()["webSocketUrl"].startswith("ws://")

    # a device registered while the toggle was on still needs the header
    await ctl.features(True)
    other = guest_factory()
    await other.register_device(with_socket=False)
    await other.join("L1", name="Bob")
    refused = await other.register(other.locus["info"]["datachannelUrl"], None)
    assert refused.status_code == 401


async def test_meeting_info_for_a_known_meeting(sim, ctl, http):
    created = await ctl.create_meeting("L1")
    number = created["meetingNumber"]
    assert number.isdigit() and len(number) == 10
    body = {"supportHostKey": True, "supportCountryList": True, "disableWebRedirect": True}
    for destination in ({"sipUrl": number}, {"sipUrl": "L1"}, {"meetingKey": number}):
        answer = await http.post("/wbxappapi/v1/meetingInfo", json={**body, **destination})
        assert answer.status_code == 200, answer.text
        info = answer.json()
        assert info["locusUrl"] == f"{sim.base_url}/locus/api/v1/loci/L1"
        assert info["meetingNumber"] == number and info["sipUrl"] == number
        assert "locusClusterUrl" not in info  # the SDK would build https://{it}/...
    unknown = await http.post("/wbxappapi/v1/meetingInfo", json={**body, "sipUrl": "123"})
    assert unknown.status_code == 404 and "123" in unknown.json()["message"]
    none = await http.post("/wbxappapi/v1/meetingInfo", json=body)
    assert none.status_code == 400 and "destination" in none.json()["message"]


async def test_join_by_invitee_address_on_loci_call(sim, ctl, guest_factory, http):
    created = await ctl.create_meeting("L1", lobby=False)
    for address in ("L1", "wbxmn:L1", f"wbxmn:{created['meetingNumber']}"):
        guest = guest_factory()
        await guest.register_device(with_socket=False)
        body = {**guest.join_body(), "invitee": {"address": address}}
        answer = await http.post("/locus/api/v1/loci/call?alternateRedirect=true", json=body)
        assert answer.status_code == 200, answer.text
        assert answer.json()["mediaConnections"] == []
        locus = answer.json()["locus"]
        assert locus["url"] == created["locusUrl"] and locus["self"]["state"] == "JOINED"
        assert locus["self"]["datachannelToken"]  # admitted at join: the token is here
    guest = guest_factory()
    await guest.register_device(with_socket=False)
    missing = await http.post("/locus/api/v1/loci/call", json=guest.join_body())
    assert missing.status_code == 400 and "invitee" in missing.json()["message"]
    unknown = {**guest.join_body(), "invitee": {"address": "wbxmn:999"}}
    answer = await http.post("/locus/api/v1/loci/call", json=unknown)
    assert answer.status_code == 404
    bad = {**guest.join_body(), "device": "x"}
    answer = await http.post("/locus/api/v1/loci/L1/participant", json=bad)
    assert answer.status_code == 400 and "device" in answer.json()["message"]


async def test_tokens_only_in_the_join_answer(sim, ctl, guest_factory):
    await ctl.create_meeting("L1", lobby=False)
    await ctl.practice_session("L1", True)
    panelist = guest_factory()
    await panelist.register_device()
    locus = await panelist.join("L1", role="PANELIST")
    assert locus["self"]["datachannelToken"] and locus["self"]["practiceSessionDatachannelToken"]
    pushed = await panelist.next_locus()
    assert "datachannelToken" not in pushed["self"]  # never in a push
    assert "practiceSessionDatachannelToken" not in pushed["self"]
    attendee = guest_factory()
    await attendee.register_device(with_socket=False)
    me = (await attendee.join("L1", name="Bob"))["self"]
    assert me["datachannelToken"] and "practiceSessionDatachannelToken" not in me


async def test_join_role_makes_an_invited_panelist(sim, ctl, guest_factory, http):
    """The SDK's join body names no role: `joinRole` at creation plays an invited panelist,
    who joining while practice runs gets the practice token in the join answer."""
    created = await ctl.create_meeting("L1", lobby=False, join_role="PANELIST")
    assert created["joinRole"] == "PANELIST"
    await ctl.practice_session("L1", True)
    guest = guest_factory()
    await guest.register_device(with_socket=False)
    body = {k: v for k, v in guest.join_body().items() if k != "displayName"}
    answer = await http.post(f"{created['locusUrl']}/participant", json=body)
    me = answer.json()["locus"]["self"]
    assert me["controls"]["role"]["roles"] == [{"type": "PANELIST", "hasRole": True}]
    assert me["practiceSessionDatachannelToken"]
    assert (await ctl.state("L1"))["joinRole"] == "PANELIST"
    with pytest.raises(SimControlError) as bad:
        await ctl.create_meeting("L2", join_role="HOST")
    assert bad.value.status == 400


async def test_sequence_grows_and_pushes_carry_the_locus_url(sim, ctl, guest_factory):
    await ctl.create_meeting("L1", lobby=True)
    guest = guest_factory()
    await guest.register_device()
    joined = await guest.join("L1")
    held = joined["sequence"]["entries"][0]
    await guest.next_locus()  # the join's own push: same sequence
    await ctl.admit("L1")
    await ctl.set_roles("L1", guest.pid, ["PANELIST"])
    await ctl.practice_session("L1", True)
    for _ in range(3):
        frame = await guest_frame(guest)
        assert frame["data"]["locusUrl"] == joined["url"]
        locus = frame["data"]["locus"]
        assert locus["baseSequence"]["entries"] == [held]  # follows what the client holds
        assert locus["sequence"]["entries"][0] > held
        assert set(locus["sequence"]) == {"entries", "rangeStart", "rangeEnd"}
        held = locus["sequence"]["entries"][0]
    assert (await ctl.state("L1"))["sequence"] == held


async def guest_frame(guest: Guest) -> dict:
    assert guest.device_ws is not None
    return await recv_until(guest.device_ws, lambda f: locus_push(f) is not None)


async def test_resync_answers_the_bare_locus_and_leave_a_left_locus(sim, ctl, guest_factory):
    await ctl.create_meeting("L1", lobby=False)
    guest = guest_factory()
    await guest.register_device(with_socket=False)
    joined = await guest.join("L1")
    resync = await guest.http.get(joined["url"])
    assert resync.status_code == 200
    body = resync.json()
    # the SDK's doLocusSync hands res.body itself to onFullLocus
    assert body["url"] == joined["url"] and body["self"]["id"] == guest.pid
    assert body["sequence"]["entries"] and "rangeStart" in body["sequence"]
    assert body["locus"]["url"] == joined["url"]  # the {locus} form, for older clients
    await ctl.captions("L1", True)
    leave_body = {
        "device": {"deviceType": "WEB", "url": guest.device_url},
        "usingResource": None,
        "correlationId": guest.correlation_id,
        "sequence": joined["sequence"],
    }
    left = await guest.http.put(f"{joined['url']}/participant/{guest.pid}/leave", json=leave_body)
    assert left.status_code == 200
    locus = left.json()["locus"]
    assert locus["self"]["state"] == "LEFT"
    assert locus["self"]["devices"][0]["state"] == "LEFT"
    assert locus["baseSequence"]["entries"] == body["sequence"]["entries"]
    assert locus["sequence"]["entries"][0] > body["sequence"]["entries"][0]


async def test_unauthorized_sdk_routes_answer_401_json(sim):
    async with httpx.AsyncClient(base_url=sim.base_url, trust_env=False) as anonymous:
        for method, path in (
            ("POST", "/wdm/api/v1/devices"),
            ("POST", "/wbxappapi/v1/meetingInfo"),
            ("POST", "/locus/api/v1/loci/call"),
            ("GET", "/hydra/v1/people/me"),
        ):
            answer = await anonymous.request(method, path, json={})
            assert answer.status_code == 401 and answer.json()["message"], path
