"""`--fail-on` rules: which figure regressing by how much fails a comparison.

recover-p95>+20%     B's value more than 20 % above A's
token-p95>+500ms     B more than 500 ms above A (also `s`: +2s)
incidents>+0         B has more incidents than A
recover-p95>5000ms   B above 5000 ms, whatever A was (no sign: a plain threshold)
rtt-p95<-50%         B more than 50 % below A (`<` for figures where lower is worse)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.analysis.figures import FIGURES

_RULE = re.compile(
    r"^\s*(?P<name>[a-z0-9-]+)\s*(?P<op>>=|<=|>|<)\s*(?P<sign>[+-]?)"
    r"(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>%|ms|s)?\s*$"
)


class RuleError(ValueError):
    pass


@dataclass(frozen=True)
class Rule:
    text: str
    name: str
    op: str
    value: float  # in ms for times given in s
    relative: bool  # a signed value or a percentage: a change from A, not a threshold
    percent: bool

    def check(self, a: float | None, b: float | None) -> tuple[bool | None, str]:
        """(triggered, what was compared); None when it cannot be judged (a figure missing)."""
        if b is None or (self.relative and a is None):
            return None, f"{self.name}: cannot judge (A {a}, B {b})"
        if not self.relative:
            got, shown = b, f"B {_n(b)}"
        elif self.percent:
            if a == 0:
                got = 0.0 if b == 0 else float("inf") if b > 0 else float("-inf")
            else:
                got = (b - a) / abs(a) * 100
            shown = f"{_n(a)} -> {_n(b)} ({got:+.1f} %)"
        else:
            got, shown = b - a, f"{_n(a)} -> {_n(b)} ({b - a:+.1f})"
        limit = self.value
        hit = {
            ">": got > limit,
            ">=": got >= limit,
            "<": got < limit,
            "<=": got <= limit,
        }[self.op]
        return hit, f"{self.name} {shown}"


def parse_rule(text: str) -> Rule:
    m = _RULE.match(text)
    if m is None:
        raise RuleError(
            f"--fail-on {text!r}: write NAME>VALUE, e.g. 'recover-p95>+20%' or 'token-p95>+500ms'"
        )
    name = m["name"]
    if name not in FIGURES:
        raise RuleError(f"--fail-on {text!r}: unknown figure {name!r}; known: {', '.join(FIGURES)}")
    value = float(m["num"]) * (1000 if m["unit"] == "s" else 1)
    if m["sign"] == "-":
        value = -value
    percent = m["unit"] == "%"
    return Rule(text.strip(), name, m["op"], value, bool(m["sign"]) or percent, percent)


def _n(v: float) -> str:
    return f"{v:.1f}" if abs(v) < 100 else f"{v:.0f}"
