"""Offline analysis of runs: incidents of a recording or report, and two runs compared.

`python -m app incidents FILE` and `python -m app compare A B`; pure Python, no Qt (the
window's compare view uses the same functions). A run is a session recording (JSONL) or one
file of a scenario report (JSON): `runs.load_runs`.
"""
