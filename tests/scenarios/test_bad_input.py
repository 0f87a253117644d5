"""SCENARIOS.md "Bad input": the app keeps running, says clearly what went wrong, loses nothing."""

from __future__ import annotations

import socket

import pytest

from app.core.events import EventKind
from app.core.meeting import JoinError, MeetingClient
from app.core.settings import TEST
from app.core.watch import Watch

from .helpers import T, admitted_online, kind, online

USER = "bad-input-user-token-123456"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("url", ["not a url", "ftp://127.0.0.1/", "http://", ""])
def test_server_url_that_is_not_a_url(url: str) -> None:
    with pytest.raises(ValueError, match="not an http"):
        MeetingClient(url, USER, TEST)


async def test_server_that_is_down() -> None:
    client = MeetingClient(f"http://127.0.0.1:{free_port()}", USER, TEST)
    watch = Watch(client.hub)
    try:
        with pytest.raises(JoinError, match="cannot connect"):
            await client.join("m")
        assert any(
            e.kind is EventKind.ERROR and "cannot connect" in e.summary for e in watch.events
        )
        assert client.snapshot.last_error and "cannot connect" in client.snapshot.last_error
    finally:
        await client.close()


async def test_endpoint_that_hangs_times_out_with_a_message(sim, host) -> None:
    client = MeetingClient(sim.base_url, USER, TEST.with_(http_timeout=0.5))
    try:
        await host.create_meeting("hang", lobby=False, webinar=False)
        await host.fault("join", "hang")
        with pytest.raises(JoinError, match="timed out"):
            await client.join("hang")
        await host.clear_faults()
        await client.join("hang")  # still usable afterwards
        assert client.snapshot.badge == "Admitted"
    finally:
        await client.close()


async def test_http_500_with_an_html_body(sim, host, make_client) -> None:
    client, watch = make_client()
    await host.create_meeting("h500", lobby=False, webinar=False)
    await host.fault("join", "error", status=500, count=1)
    with pytest.raises(JoinError) as info:
        await client.join("h500")
    message = str(info.value)
    assert "HTTP 500" in message and "text/html" in message and "<html" not in message
    await client.join("h500")
    await watch.until(online("default"), T, "joins fine on the next try")


async def test_hanging_token_endpoint_shows_an_error_and_recovers(sim, host, make_client) -> None:
    client, watch = make_client(TEST.with_(http_timeout=0.3))
    await host.create_meeting("tok-hang", lobby=False, webinar=False, token_ttl_secs=20)
    await host.fault("token", "hang")
    await client.join("tok-hang")  # the join answer's token lives 20 s: refreshed before use
    err = await watch.event(kind(EventKind.ERROR, "default"), T, "token timeout shown")
    assert "timed out" in err.summary
    await host.clear_faults()
    await watch.until(online("default"), T, "online once the token service answers")


async def test_unknown_meeting_is_a_clear_join_error(sim, make_client) -> None:
    client, _ = make_client()
    with pytest.raises(JoinError, match="404"):
        await client.join("no-such-meeting")


async def test_events_survive_a_failed_join(sim, host, make_client) -> None:
    client, watch = make_client()
    pid = None
    with pytest.raises(JoinError):
        await client.join("missing")
    before = len(watch.events)
    pid = await admitted_online(client, watch, host, "after-fail", lobby=False)
    assert pid and len(watch.events) > before
    assert any("could not join 'missing'" in e.summary for e in watch.events[:before])
