"""`python -m bench._child MODULE FUNC JSON`: run one benchmark part in a fresh interpreter.

The result (JSON) is the last line on stdout; progress goes to stderr.
"""

from __future__ import annotations

import importlib
import json
import sys

from bench.common import jsonable


def main() -> int:
    module, func, kwargs = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    fn = getattr(importlib.import_module(f"bench.{module}"), func)
    result = fn(**kwargs)
    sys.stdout.write(json.dumps(jsonable(result)) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
