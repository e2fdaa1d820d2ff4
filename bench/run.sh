#!/bin/bash
# threadleak benchmark: one command.  bench/run.sh [--quick] [options]
# (python3 bench/bench.py --help lists the options; bench/README.md explains.)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec python3 "$here/bench.py" "$@"
