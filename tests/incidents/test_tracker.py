"""The incident derivation on its own (pure): what is and is not an incident, causes,
captions lost and duplicated. Events as the core emits them (kinds, channels, data)."""

from __future__ import annotations

from typing import Any

from app.core.events import CoreEvent, EventKind
from app.core.incidents import Action, CaptionGaps, derive

T0 = 1_800_000_000.0


class Stream:
    def __init__(self) -> None:
        self.events: list[CoreEvent] = []

    def add(self, at: float, channel: str, kind: EventKind, summary: str = "", **data: Any) -> None:
        n = len(self.events) + 1
        self.events.append(CoreEvent(n, at, T0 + at, 1, channel, kind, summary, data))

    def state(self, at: float, channel: str, state: str) -> None:
        self.add(at, channel, EventKind.STATE, f"-> {state}", state=state)

    def online(self, at: float, channel: str = "default") -> None:
        self.state(at, channel, "online")
        self.add(at, channel, EventKind.ONLINE, "online", again=at > 0)

    def captions(self, start: float, end: float, every: float, channel: str = "default") -> None:
        t = start
        while t < end - 1e-9:
            self.add(t, channel, EventKind.TRANSCRIPT, f"c{t:.2f}", text=f"c{t:.2f}", final=True)
            t += every


def test_a_leave_and_a_practice_end_are_no_incidents() -> None:
    s = Stream()
    s.online(0.0)
    s.online(0.0, "practice")
    s.add(1.0, "practice", EventKind.CLOSED, code=1000, reason="practice over", by_client=False)
    s.state(1.0, "practice", "offline")  # no longer wanted
    s.add(2.0, "default", EventKind.CLOSED, code=3050, reason="done (permanent)", by_client=True)
    s.state(2.0, "default", "offline")
    s.add(2.0, "meeting", EventKind.PHASE, "left the meeting")
    assert derive(s.events).incidents() == []


def test_a_replaced_socket_gives_up_and_the_cause_is_the_latest_aimed_action() -> None:
    s = Stream()
    s.online(0.0)
    s.add(3.0, "default", EventKind.CLOSED, code=4000, reason="replaced", by_client=False)
    s.state(3.0, "default", "replaced")
    actions = [
        Action(T0 + 1.0, "socket", "default", {"action": "close", "code": 4000}),
        Action(T0 + 2.0, "host", "transcription", {"per_second": 5}),  # not disruptive
        Action(T0 + 2.5, "socket", "practice", {"action": "reset"}),  # another channel
    ]
    (inc,) = derive(s.events, actions).incidents()
    assert inc.outcome == "gave up" and inc.online is None and inc.recover_ms is None
    assert inc.cause is actions[0] and inc.detect_ms == 2000.0
    assert inc.close_code == 4000 and inc.closed_by == "server"


def test_captions_lost_and_duplicated() -> None:
    s = Stream()
    s.online(0.0)
    s.captions(0.1, 1.95, 0.1)  # ten a second, the last at 1.9
    s.add(2.0, "default", EventKind.CLOSED, code=None, reason="lost", by_client=False)
    s.state(2.0, "default", "reconnecting")
    s.add(2.0, "default", EventKind.RETRY, attempt=1, delay=1.0)
    s.online(3.0)
    s.add(3.0, "default", EventKind.SUBSCRIBED, subscribed=["transcription"])
    s.captions(3.0, 3.5, 0.1)
    s.add(3.31, "practice", EventKind.TRANSCRIPT, "c3.30", text="c3.30", final=True)  # twice
    tracker = derive(s.events)
    (inc,) = tracker.incidents()
    assert inc.close_code == 1006 and "no close frame" in inc.detection
    assert inc.retries == (1.0,) and inc.recover_ms == 1000.0
    assert round(inc.gap_ms) == 1100 and inc.captions_lost == 10
    assert inc.duplicates == 0  # the duplicate came after the incident settled
    audits = {a.channel: a for a in tracker.captions()}
    assert audits["practice"].duplicates == 1 and audits["practice"].flagged
    assert audits["default"].missing == 10


def test_caption_gaps_need_a_cadence_first() -> None:
    gaps = CaptionGaps()
    assert [gaps.feed("default", t) for t in (0.0, 0.2, 0.4, 0.6)] == [None] * 4
    seconds, lost = gaps.feed("default", 2.0) or (0.0, 0)
    assert round(seconds, 1) == 1.4 and lost == 6
    assert gaps.feed("practice", 10.0) is None  # one caption is no cadence


def test_offline_before_the_close_and_captions_that_never_resume() -> None:
    """The SDK client's order (state offline, then the close) and 3.12.0's missing
    resubscribe: still one incident, online again, captions never resumed."""
    s = Stream()
    s.online(0.0)
    s.captions(0.1, 1.0, 0.1)
    s.state(1.0, "default", "offline")
    s.add(1.0, "default", EventKind.CLOSED, code=1006, reason="", action="reconnect")
    s.state(1.0, "default", "reconnecting")
    s.online(1.01)
    s.add(5.0, "meeting", EventKind.PHASE, "left the meeting")
    s.state(5.0, "default", "offline")
    s.add(5.0, "default", EventKind.CLOSED, code=1000, reason="participant left")
    (inc,) = derive(s.events).incidents()
    assert inc.close_code == 1006 and inc.online is not None
    assert inc.outcome == "online, captions never resumed" and inc.first_caption is None
