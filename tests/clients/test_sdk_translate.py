"""The pure translator: driver lines (sdkclient/LINES.md) -> the core's events and snapshots.

Fed with recorded driver lines (tests/clients/data/*.jsonl); no process, no sockets.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.clients.sdk_translate import SDK_CAPABILITIES, SdkTranslator, classify_http
from app.core.events import ChannelState, CoreEvent, EventKind
from app.core.locus import Phase

DATA = Path(__file__).parent / "data"


def feed(name: str, meeting: str = "m1") -> tuple[SdkTranslator, list[CoreEvent]]:
    tr = SdkTranslator("http://127.0.0.1:9")
    events: list[CoreEvent] = []
    for raw in (DATA / name).read_text().splitlines():
        line = json.loads(raw)
        if line.get("ev") == "http" and "/loci/call" in line.get("url", ""):
            events += tr.joining(meeting)  # the adapter calls it when it sends `join`
        events += tr.feed(line)
    return tr, events


def test_lobby_admit_without_token_shows_the_401_on_the_default_card() -> None:
    tr, events = feed("lobby_admit_401.jsonl")
    snap = tr.snapshot
    assert tr.sdk_version == "3.12.0"
    assert snap.badge == "Admitted" and snap.phase is Phase.JOINED
    assert [e.kind for e in events if e.channel == "meeting" and e.kind is EventKind.ADMITTED]
    default = snap.channel("default")
    assert default.state is ChannelState.ERROR
    assert default.last_error == "registration 401"
    assert default.registrations == 0
    refused = [e for e in events if e.channel == "default" and e.kind is EventKind.HTTP]
    assert refused and refused[0].data["status"] == 401
    assert "what" not in refused[0].data  # as the core: only a 2xx is a "register"
    assert snap.tokens["llm-default-session"].source is None  # no token seen, none shown
    assert snap.channel("device").state is ChannelState.ONLINE
    assert snap.channel("device").last_rtt_ms == 0.8
    assert snap.channel("device").frames_in == 5
    assert snap.keep_alives == 1
    # learned from the keep-alive URL: host actions need our participant id
    assert snap.participant_id == "P1"
    assert snap.locus_url == "http://127.0.0.1:9/locus/api/v1/loci/L1"
    assert any(e.kind is EventKind.ERROR and "unhandledRejection" in e.summary for e in events)
    assert [m.label for m in snap.timeline] == ["Joining", "Lobby", "Admitted"]


def test_direct_join_drop_1006_reconnects_without_resubscribing() -> None:
    tr, events = feed("direct_join_drop.jsonl")
    default = tr.snapshot.channel("default")
    assert default.connects == 2 and default.reconnects == 1
    assert default.registrations == 1  # mercury reconnects to the same URL, no re-register
    subs = [e for e in events if e.summary.startswith("subscription requested")]
    assert len(subs) == 1  # 3.12.0: never again after the reconnect
    closes = [e for e in events if e.kind is EventKind.CLOSED]
    assert [c.data["code"] for c in closes] == [1006, 3050]
    assert "action" not in closes[0].data  # what the SDK decided is not known at the close
    assert default.last_close is not None and default.last_close.code == 3050
    assert default.last_close.action is None
    captions = [e for e in events if e.kind is EventKind.TRANSCRIPT]
    assert [(c.channel, c.data["final"]) for c in captions] == [
        ("default", False),
        ("default", True),
    ]
    token = tr.snapshot.tokens["llm-default-session"]
    assert token.source == "join response" and token.masked == "eyJhbG…"
    assert token.exp == 1796154718
    assert tr.snapshot.badge == "Left"
    assert tr.exited == 0
    assert default.state is ChannelState.OFFLINE


def test_unknown_fields_are_none_not_guesses() -> None:
    tr, _ = feed("direct_join_drop.jsonl")
    default = tr.snapshot.channel("default")
    assert default.binding is None and default.attempt is None
    assert default.sequence_gaps is None and default.confirmed == ()
    for path in ("channel.default.binding", "channel.practice.attempt", "token.x.fetch_ms"):
        assert SDK_CAPABILITIES.field_unknown(path)
    assert SDK_CAPABILITIES.field_unknown("channels.default.attempt")  # the long alias too
    assert SDK_CAPABILITIES.field_unknown("channel.default.state") is None
    assert SDK_CAPABILITIES.field_unknown("channel.default.reconnects") is None


def test_generation_moves_with_join_and_leave() -> None:
    tr = SdkTranslator("http://x")
    assert tr.snapshot.generation == 0
    tr.joining("a")
    assert tr.snapshot.generation == 1 and tr.snapshot.badge == "Joining"
    tr.leaving()
    assert tr.snapshot.generation == 2 and tr.snapshot.badge == "Left"
    assert tr.leaving() == []  # leaving twice ends nothing more


def test_a_line_of_an_unknown_kind_is_an_event_not_an_exception() -> None:
    tr = SdkTranslator("http://x")
    events = tr.feed({"t": 1.0, "ev": "brand-new"})
    assert events[0].kind is EventKind.STATE and "brand-new" in events[0].summary
    assert tr.feed({"ev": "socket.online", "channel": "nonsense"}) == []


@pytest.mark.parametrize(
    ("method", "url", "want"),
    [
        ("POST", "http://h/llm/api/v1/datachannel/L/default", ("register", "default")),
        ("POST", "http://h/llm/api/v1/datachannel/L/practice", ("register", "practice")),
        (
            "GET",
            "http://h/locus/api/v1/loci/L/participant/P/datachannel/token",
            ("token", "default"),
        ),
        ("PUT", "http://h/locus/api/v1/loci/L/participant/P/leave", ("leave", None)),
        ("POST", "http://h/locus/api/v1/loci/call?alternateRedirect=true", ("join", None)),
        ("PUT", "http://h/locus/api/v1/loci/L/controls/", ("captions", None)),
        ("POST", "http://h/wdm/api/v1/devices?includeUpstreamServices=all", ("device", None)),
    ],
)
def test_classify_http(method: str, url: str, want: tuple[str, str | None]) -> None:
    assert classify_http(method, url) == want


def test_the_simulators_encoded_practice_url_is_the_practice_channel() -> None:
    import base64

    def url(target: str) -> str:
        enc = base64.urlsafe_b64encode(target.encode()).rstrip(b"=").decode()
        return f"http://h/datachannel/api/v1/locus/{enc}/registrations"

    loci = "http://h/locus/api/v1/loci/abc"
    assert classify_http("POST", url(loci)) == ("register", "default")
    assert classify_http("POST", url(loci + "/practiceSession")) == ("register", "practice")


# -- lines recorded from the real driver (webex 3.12.0) against the simulator -------------------


def feed_real(name: str) -> tuple[SdkTranslator, list[CoreEvent]]:
    tr = SdkTranslator("http://127.0.0.1:1")
    events: list[CoreEvent] = []
    for raw in (DATA / name).read_text().splitlines():
        line = json.loads(raw)
        if line.get("ev") == "phase" and line.get("phase") == "joining":
            events += tr.joining("m1")
        events += tr.feed(line)
    return tr, events


def test_real_lobby_admit_3_12_0_registers_without_a_token_and_gets_401() -> None:
    tr, events = feed_real("real_lobby_3.12.0.jsonl")
    assert tr.sdk_version == "3.12.0"
    admitted = [e for e in events if e.kind is EventKind.ADMITTED]
    refused = [e for e in events if e.channel == "default" and e.kind is EventKind.HTTP]
    assert admitted and refused
    assert refused[0].data["status"] == 401 and refused[0].data["token_sent"] is False
    assert refused[0].seq > admitted[0].seq
    # nothing fetched a token: the SDK read the lobby self (SDK_FLOW.md)
    assert not [e for e in events if e.kind is EventKind.TOKEN]
    snap_before_leave = [e for e in events if e.kind is EventKind.ERROR and e.channel == "default"]
    assert "not sent" in snap_before_leave[0].summary
    assert tr.snapshot.device_url and tr.snapshot.device_url.startswith("http://127.0.0.1:")
    assert tr.snapshot.locus_url and tr.snapshot.locus_url.endswith("/loci/m1")


def test_real_direct_join_3_12_0_is_online_subscribed_and_captioned() -> None:
    tr, events = feed_real("real_direct_3.12.0.jsonl")
    kinds = [(e.channel, e.kind) for e in events]
    assert ("default", EventKind.ONLINE) in kinds
    assert ("default", EventKind.SUBSCRIBED) in kinds  # subscribe.answer: the server confirmed
    assert ("default", EventKind.TRANSCRIPT) in kinds
    assert tr.snapshot.tokens["llm-default-session"].source == "join response"
    default = tr.snapshot.channel("default")
    assert default.connects == 1 and default.registrations == 1
    # the leave: the LLM socket closed 1000 and mercury decided "permanent"
    assert default.last_close is not None and default.last_close.code == 1000
    assert default.last_close.action == "stay offline (permanent)"
    assert default.state is ChannelState.OFFLINE  # the driver exited after it
    assert tr.snapshot.badge == "Left"


def test_a_close_carries_the_sdks_decision_from_the_offline_line_after_it() -> None:
    _, events = feed_real("real_direct_3.12.0.jsonl")
    closes = [e for e in events if e.kind is EventKind.CLOSED]
    assert [(c.channel, c.data["code"], c.data.get("action")) for c in closes] == [
        ("default", 1000, "stay offline (permanent)"),
        ("device", 3050, "stay offline (permanent)"),
    ]
    # a close with no decision after it (the synthetic trace has no offline lines) says none
    _, synthetic = feed("direct_join_drop.jsonl")
    assert all("action" not in e.data for e in synthetic if e.kind is EventKind.CLOSED)
