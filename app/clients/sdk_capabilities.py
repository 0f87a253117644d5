"""What the SDK client cannot do or cannot know, and why (app/clients/interface.Capabilities):
the window disables those commands with the reason, the scenario runner reports an
expectation on them as not judged."""

from __future__ import annotations

from app.clients.interface import Capabilities, Command
from app.core.events import EventKind

# SDK_FLOW.md, "Node shims": noise of a media-less Node run, not a failure of the flow
HARMLESS = ("no WebRTC in node", "Error creating peerConnection for H.264 test")
_NOT_SEEN = "the driver's lines do not carry it"
SDK_CAPABILITIES = Capabilities(
    unsupported={
        Command.REFRESH_TOKEN: "the SDK has no public call to refresh a datachannel token; "
        "it fetches one only when it decides to (interceptors/dataChannelAuthToken.ts)",
        Command.RESUBSCRIBE: "the SDK exposes no call that re-sends "
        "subchannelSubscriptionRequest; it subscribes only when captions are turned on",
    },
    unknown_fields={
        "channel.*.attempt": "the SDK's retry attempt counter is internal to mercury",
        "channel.*.next_retry_at": "the SDK's backoff schedule is internal to mercury",
        "channel.*.sequence_gaps": "the SDK does not report sequence gaps",
        "channel.*.connect_ms": "measured by the native core around its own socket only",
        "channel.*.binding": _NOT_SEEN + " (the registration answer body)",
        "channel.*.detail": "dcmon's own wording of the core's reconciler state",
        "channel.*.last_close.meaning": "the meaning column of dcmon's close-code table",
        "token.*.fetch_ms": _NOT_SEEN,
        "token.*.fetched_at": "the SDK's token cache is internal",
        "token.*.age": "the SDK's token cache is internal",
        "token.*.decode_error": "the SDK decides itself whether a token is a JWT",
        "token.*.last_result": "the SDK's token cache is internal",
        "token.*.last_ok": "the SDK's token cache is internal",
        "last_error": "the SDK's own error messages, not dcmon's wording",
        "locus_sequence": "the SDK orders loci internally (locus-info/parser.ts)",
        "stale_loci": "the SDK orders loci internally (locus-info/parser.ts)",
        "features_note": "dcmon's own note on the device answer",
        "channel.*.last_error": "the SDK's own error messages, not dcmon's wording",
        "profile": "the SDK's timings are its own, not a dcmon profile",
    },
    unknown_events={
        EventKind.SUBSCRIBE_FAILED.value: "the SDK swallows a failed subscription send",
        EventKind.RETRY.value: "mercury's retry schedule is internal to the SDK",
        EventKind.SEQ_GAP.value: "the SDK does not report sequence gaps",
        EventKind.BAD_INPUT.value: "the SDK does not report frames it dropped",
        EventKind.LOCUS.value: "the SDK parses loci internally",
        EventKind.COMMAND.value: "client-side drops are done by the simulator for the SDK",
    },
    unknown_event_data={
        "closed.meaning": "dcmon's close-code table, not the SDK's decision",
        "closed.by_client": "the driver's close line does not say which side closed",
        "online.connect_ms": "measured by the native core around its own socket only",
        "token.ms": _NOT_SEEN,
        "http.retried": "the SDK's retry interceptors are internal",
        "transcript.language": _NOT_SEEN,
    },
    unknown_values={
        "channel.*.state": (
            ("fetching token", "registering", "authorizing", "waiting"),
            "a step of dcmon's reconciler; the SDK's lines show a channel only as connecting, "
            "online, reconnecting, closed, replaced or in error",
        ),
    },
    wording="the SDK's own error messages, not dcmon's wording",
    via_simulator={
        Command.DROP: "done by the simulator's fault proxy on the SDK's socket (/sim/sockets): "
        "the SDK has no call to break its own socket",
    },
)
