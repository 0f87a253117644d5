"""Chaos runs against the real core and the real simulator (no Qt).

`steps`: the seeded generator of sequences; `executor`: applies one to a `MeetingClient`
and a `Simulator`; `invariants`: pure checks; `shrink`: delta debugging; `runner`: many
sequences and the command line (`python -m app.chaos`); `soak`: the long churn run.
"""
