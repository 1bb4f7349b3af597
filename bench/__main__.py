"""``python -m bench``: see ``bench/run.py``. The environment is set before the app is imported."""

from __future__ import annotations

import sys

from bench.environment import prepare_environment
from bench.options import parse_args


def main() -> int:
    options = parse_args(sys.argv[1:])
    base_url = prepare_environment()
    from bench.run import run

    return run(options, base_url)


if __name__ == "__main__":
    sys.exit(main())
