"""Hypothesis strategies for network input: any JSON, JSON shaped like our messages with
every field's type and value perturbed, hostile text, and deep nesting."""

from __future__ import annotations

import base64
import json
import os
from typing import Any

from hypothesis import strategies as st

# FUZZ_SCALE=50 multiplies every test's example budget (a deep run); 1 in the default run
SCALE = max(1, int(os.environ.get("FUZZ_SCALE", "1")))


def examples(n: int) -> int:
    return n * SCALE


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(st.text(max_size=12), children, max_size=5),
    ),
    max_leaves=25,
)

# keys our parsers look at, so perturbed values land where they matter
FRAME_KEYS = ("id", "type", "data", "sequenceNumber", "headers", "eventType", "relayType",
              "voiceaPayload", "relayPayload", "locus", "subscribed", "unsubscribed", "from",
              "transcripts", "text", "transcript_id", "transcript_language_code")  # fmt: skip
LOCUS_KEYS = ("url", "self", "info", "controls", "id", "state", "devices", "intent", "type",
              "keepAliveUrl", "keepAliveSecs", "role", "roles", "hasRole", "practiceSession",
              "enabled", "datachannelUrl", "practiceSessionDatachannelUrl", "datachannelToken",
              "practiceSessionDatachannelToken")  # fmt: skip
ANSWER_KEYS = ("webSocketUrl", "binding", "datachannelToken", "dataChannelTokenType",
               "datachannelTokenType", "url", "message", "error")  # fmt: skip


def shaped(keys: tuple[str, ...]) -> st.SearchStrategy[Any]:
    """Objects whose keys are mostly ours and whose values are anything (nested)."""
    key = st.one_of(st.sampled_from(keys), st.text(max_size=8))
    return st.recursive(
        scalars | st.sampled_from(["mercury.buffer_state", "relay.event", "locus.difference",
                                   "voicea.transcription", "pong", "JOINED", "IDLE", "WAIT",
                                   "PANELIST", "ws://127.0.0.1:1/x", "wss://[", "http://x"]),
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(key, children, max_size=6),
        ),
        max_leaves=30,
    )  # fmt: skip


def deep(depth: int = 5000) -> str:
    return "[" * depth + "]" * depth


hostile_text = st.one_of(
    st.text(max_size=200),
    st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
    st.sampled_from(
        [
            "",
            "{",
            "[",
            "null",
            "1e999",
            '"\\ud800"',
            '{"a":NaN}',
            deep(),
            '{"id": "' + "x" * 5000 + '"}',
        ]
    ),
)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


jwt_like = st.one_of(
    st.text(max_size=80),
    st.tuples(st.text(max_size=10), st.binary(max_size=60), st.text(max_size=10)).map(
        lambda t: f"{t[0]}.{b64(t[1])}.{t[2]}"
    ),
    json_values.map(lambda v: f"eyJhbGciOiJIUzI1NiJ9.{b64(json.dumps(v).encode())}.sig"),
    st.sampled_from([f"h.{b64(deep().encode())}.s", "a.b.c", "...", "a..b"]),
)
