"""Which controls are on, and why not (issue 12, item 12): one place for the rules.

Live controls are off while reviewing a recording; one scenario run or one review at a time;
the host's participant actions need a participant; every disabled control says why in its
tooltip. The panels apply their own per-socket rules (channels.py, tokens.py, meeting.py).
"""

from __future__ import annotations

from typing import Any, Protocol

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QAbstractButton

from app.core.events import MeetingSnapshot

PARTICIPANT_ACTIONS = ("Admit", "Lobby", "Promote", "Demote")
_TIP = "_dcmon_tip"  # the control's own tooltip, kept while a reason is shown
_STATE = "_dcmon_enabled"  # what set_enabled last applied


def in_meeting(snap: MeetingSnapshot | None) -> bool:
    return snap is not None and snap.badge not in ("Not joined", "Left")


def set_enabled(control: QAbstractButton | QAction, on: bool, why: str = "") -> None:
    """Enable or disable with the reason appended to the tooltip (and removed again)."""
    own = control.property(_TIP)
    if own is None:
        own = control.toolTip() if isinstance(control, QAbstractButton) else ""
        control.setProperty(_TIP, own)
    tip = own if on or not why else (f"{own}\n" if own else "") + f"Disabled: {why}"
    state = f"{int(on)}{tip}"
    if control.isEnabled() == on and control.property(_STATE) == state:
        return  # called on every snapshot: no change, no signal, no repaint
    control.setProperty(_STATE, state)
    control.setEnabled(on)
    control.setToolTip(tip)


class ModesHost(Protocol):
    actions_by_name: dict[str, Any]
    host: Any  # HostPanel: .buttons
    session: Any  # Session: .is_simulator, .snapshot
    review: Any  # .active
    scenario: Any  # .running


def host_participant_reason(snap: MeetingSnapshot | None) -> str:
    if snap is None or snap.badge == "Not joined":
        return "not joined: join a meeting first"
    if snap.badge == "Left":
        return "this client left the meeting"
    if not snap.participant_id:
        return "no participant yet (joining)"
    return ""


def apply(w: ModesHost) -> None:
    """Menus and host controls from the current mode and snapshot."""
    reviewing, running = bool(w.review.active), bool(w.scenario.running)
    acts = w.actions_by_name
    acts["run_scenario"].setEnabled(not reviewing and not running)
    acts["open_session"].setEnabled(not running)
    acts["back_to_live"].setEnabled(reviewing)
    for name in ("meeting_menu", "channels_menu"):
        acts[name].setEnabled(not reviewing)
    snap = w.session.snapshot
    joined = in_meeting(snap)
    live_why = "reviewing a recording" if reviewing else ""
    # a Join during a run would replace the scenario's client under it; while joined,
    # a Join would silently leave and rejoin as a new lobby participant
    join_why = live_why or ("a scenario is running" if running else "")
    if not join_why and joined and snap is not None:
        join_why = f"in {snap.meeting_id}: Leave first"
    set_enabled(acts["join"], not join_why, join_why)
    leave_why = live_why or ("" if joined else "not in a meeting")
    set_enabled(acts["leave"], not leave_why, leave_why)
    for name in ("refresh_default", "refresh_practice"):
        set_enabled(acts[name], joined and not reviewing, live_why or "not in a meeting")
    # channel menu entries mirror their card buttons (which apply the per-socket rules)
    for name, button in acts["action_buttons"].items():
        if not name.startswith("host_"):
            why = live_why or _reason(button)
            set_enabled(acts[name], not reviewing and button.isEnabled(), why)
    enable_host(w, bool(w.session.is_simulator))


def enable_host(w: ModesHost, available: bool) -> None:
    """Host controls: only on the simulator, never while reviewing, participant actions
    only with a participant."""
    reviewing = bool(w.review.active)
    on = available and not reviewing
    w.host.setEnabled(not reviewing)
    why = host_participant_reason(w.session.snapshot)
    for name in PARTICIPANT_ACTIONS:
        button = w.host.buttons.get(name)
        if button is not None:
            set_enabled(button, not why, why)
    host_menu = w.actions_by_name.get("host_menu")
    if host_menu is None:
        return
    host_menu.setEnabled(on)
    for name, button in w.actions_by_name["action_buttons"].items():
        if name.startswith("host_"):
            act_why = why if on else "no simulator backend" if not reviewing else "reviewing"
            set_enabled(w.actions_by_name[name], on and button.isEnabled(), act_why)
    w.actions_by_name["host_reset"].setEnabled(on)


def _reason(button: QAbstractButton) -> str:
    tip = button.toolTip()
    return tip.split("Disabled: ", 1)[1] if "Disabled: " in tip else ""
