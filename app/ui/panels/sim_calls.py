"""Host console calls (PROTOCOL.md sections 6 and 7) in the shape the console needs, and
the one-line descriptions the log shows for every host action: what was applied, with its
parameters. Fault bodies go through `SimControl._call`: its `fault()` predates `retryAfter`
and cannot send `retryAfter: null`.
"""

from __future__ import annotations

from typing import Any


async def set_features(sim: Any, jwt_token: bool) -> dict:
    """POST /sim/features {"data-channel-with-jwt-token": bool}."""
    return await sim.features(jwt_token)


async def set_captions(sim: Any, meeting_id: str, enabled: bool) -> dict:
    """POST /sim/meetings/{id}/captions {enabled}: the host turns captions on or off."""
    return await sim.captions(meeting_id, enabled)


async def list_faults(sim: Any) -> list[dict[str, Any]]:
    answer = await sim._call("GET", "/sim/faults")
    faults = answer.get("faults")
    return [f for f in faults if isinstance(f, dict)] if isinstance(faults, list) else []


def fault_body(
    endpoint: str,
    mode: str,
    delay_ms: int | None = None,
    status: int | None = None,
    count: int | None = None,
    retry_after: int | None = None,
    body: str | None = None,
) -> dict[str, Any]:
    """The `POST /sim/faults` body; only the fields this mode uses."""
    out: dict[str, Any] = {"endpoint": endpoint, "mode": mode}
    if mode == "slow" and delay_ms is not None:
        out["delayMs"] = delay_ms
    if mode in ("error", "body") and status is not None:
        out["status"] = status
    if mode == "error" and retry_after:
        out["retryAfter"] = retry_after
    if mode == "body":
        out["body"] = body or ""
    if count:
        out["count"] = count
    return out


async def post_fault(sim: Any, body: dict[str, Any]) -> dict:
    return await sim._call("POST", "/sim/faults", body)


async def clear_fault(sim: Any, endpoint: str) -> dict:
    """Clear one endpoint's fault (`DELETE /sim/faults/{endpoint}`): the others keep their
    calls left and hit counts."""
    return await sim.clear_fault(endpoint)


def describe_fault(f: dict[str, Any]) -> str:
    """'token error 503, Retry-After 2 s, 1 call left' from a fault body or a GET view."""
    mode = str(f.get("mode"))
    parts = [f"{f.get('endpoint')} {mode}"]
    if mode == "slow":
        parts[0] += f" {f.get('delayMs') or 2000} ms"
    elif mode in ("error", "body"):
        parts[0] += f" {f.get('status') or (200 if mode == 'body' else 500)}"
    if f.get("retryAfter"):
        parts.append(f"Retry-After {f['retryAfter']} s")
    if mode == "body":
        text = str(f.get("body") or "")
        parts.append(f"body {text[:24]!r}" + ("…" if len(text) > 24 else ""))
    left = f.get("remaining", f.get("count"))
    parts.append(f"{left} call{'s' if left != 1 else ''} left" if left else "every call")
    return ", ".join(parts)
