"""TLS with a generated CA, certificate verification by default, and no plain text to a
host off this machine unless explicitly allowed (checked before any connection)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from app.chaos.netguard import ResolverStub
from app.core.connection import ConnectFailed, Connection
from app.core.connection import Listener as ConnListener
from app.core.events import ChannelState
from app.core.http import Http, HttpError, make_client
from app.core.meeting import JoinError, MeetingClient
from app.core.settings import TEST
from app.core.transport import InsecureTransportError, TransportPolicy, is_loopback
from app.core.watch import Watch
from app.sim import SimControl, Simulator
from app.sim.tls import TlsFiles, generate

USER = "tls-user-token-0123456789"
T = 8.0


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return generate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
async def tls_sim(tls_files: TlsFiles) -> AsyncIterator[Simulator]:
    async with Simulator(tls=tls_files) as sim:
        yield sim


async def test_wss_end_to_end_with_a_custom_ca(tls_sim: Simulator, tls_files: TlsFiles) -> None:
    assert tls_sim.base_url.startswith("https://127.0.0.1:")
    async with SimControl(tls_sim.base_url, verify=str(tls_files.ca_file)) as host:
        await host.create_meeting("tls", lobby=True, webinar=False)
        client = MeetingClient(tls_sim.base_url, USER, TEST, ca_file=str(tls_files.ca_file))
        watch = Watch(client.hub, client.snapshot)
        try:
            await client.join("tls")
            await watch.until(lambda s: s.badge == "Lobby", T, "lobby")
            await host.admit("tls")
            snap = await watch.until(
                lambda s: (
                    s.channel("default").state is ChannelState.ONLINE
                    and "transcription" in s.channel("default").confirmed
                    and s
                ),
                T,
                "default online over wss",
            )
            assert snap.channel("default").web_socket_url.startswith("wss://127.0.0.1:")
            assert snap.channel("device").state is ChannelState.ONLINE
            assert snap.locus_url.startswith("https://")
        finally:
            watch.close()
            await client.close()


async def test_without_the_ca_the_certificate_is_refused_with_a_clear_message(
    tls_sim: Simulator,
) -> None:
    client = MeetingClient(tls_sim.base_url, USER, TEST)  # system CAs only: ours is unknown
    watch = Watch(client.hub, client.snapshot)
    try:
        with pytest.raises(JoinError) as info:
            await client.join("m")
        message = str(info.value)
        assert "TLS certificate not accepted" in message
        assert "certificate" in message and "CA file" in message
        assert "Traceback" not in message and "_ssl.c" not in message
        assert any("TLS certificate not accepted" in e.summary for e in watch.events)
    finally:
        watch.close()
        await client.close()


async def test_verification_can_be_switched_off_explicitly(tls_sim: Simulator) -> None:
    async with SimControl(tls_sim.base_url, verify=False) as host:
        await host.create_meeting("nv", lobby=False, webinar=False)
    client = MeetingClient(tls_sim.base_url, USER, TEST, verify=False)
    watch = Watch(client.hub, client.snapshot)
    try:
        await client.join("nv")
        await watch.until(
            lambda s: s.channel("default").state is ChannelState.ONLINE, T, "online, unverified"
        )
    finally:
        watch.close()
        await client.close()


def test_a_missing_ca_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"CA file .* cannot be used"):
        MeetingClient("https://127.0.0.1:1", USER, TEST, ca_file=str(tmp_path / "nope.pem"))


@pytest.mark.parametrize(
    "url",
    ["http://dcmon-backend.invalid:8400", "http://10.0.0.1:8400", "http://[2001:db8::1]/"],
)
def test_plain_http_to_a_non_loopback_host_is_refused_at_once(
    url: str, resolver: ResolverStub
) -> None:
    with pytest.raises(InsecureTransportError, match="refusing plain http://"):
        MeetingClient(url, USER, TEST)
    assert resolver.refused == []  # refused before even a name lookup


async def test_allowing_insecure_transport_is_explicit(resolver: ResolverStub) -> None:
    client = MeetingClient("http://dcmon-backend.invalid:8400", USER, TEST, allow_insecure=True)
    try:
        with pytest.raises(JoinError, match="cannot resolve host name"):
            await client.join("m")
        assert resolver.refused == ["dcmon-backend.invalid"]  # the stub, nobody else
    finally:
        await client.close()


@pytest.mark.parametrize("url", ["http://127.0.0.1:1", "http://localhost:1", "http://[::1]:1"])
def test_loopback_stays_allowed_in_plain_http(url: str) -> None:
    MeetingClient(url, USER, TEST)


async def test_plain_urls_from_the_server_to_other_hosts_are_refused(
    resolver: ResolverStub,
) -> None:
    """The locus hands out URLs (datachannel, webSocketUrl, keep-alive): same rule."""
    policy = TransportPolicy()
    client = make_client(2.0)
    try:
        http = Http(client, USER, lambda *a: None, policy)
        with pytest.raises(HttpError, match="refusing plain http://"):
            await http.call("register", "POST", "http://dcmon.invalid/datachannel/x")
        conn = Connection(TEST, USER, ConnListener(), policy)
        with pytest.raises(ConnectFailed, match="refusing plain ws://"):
            await conn.open("ws://dcmon.invalid/llm/key")
    finally:
        await client.aclose()
    assert resolver.refused == []


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.9.9.9", True), ("::1", True), ("[::1]", True),
     ("localhost", True), ("LOCALHOST.", True), ("a.localhost", True), ("10.0.0.1", False),
     ("example.invalid", False), ("", False), (None, False), ("127.0.0.1.nip.io", False)],
)  # fmt: skip
def test_what_counts_as_loopback(host: str | None, loopback: bool) -> None:
    assert is_loopback(host) is loopback
