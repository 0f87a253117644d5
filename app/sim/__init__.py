"""The bundled backend simulator (PROTOCOL.md): pure asyncio, never Qt.

Usage: `base_url = await Simulator().start()` runs uvicorn behind the fault proxy as tasks
on the current loop; `SimulatorThread` runs the same in its own thread; `SimControl` drives
the `/sim/` host-control API; `run_standalone` is `python -m app sim`.
"""

from app.sim.control import SimControl, SimControlError
from app.sim.server import SimStore, Simulator, SimulatorThread, run_standalone
from app.sim.tls import TlsFiles

__all__ = [
    "SimControl",
    "SimControlError",
    "SimStore",
    "Simulator",
    "SimulatorThread",
    "TlsFiles",
    "run_standalone",
]
