#!/usr/bin/env bash
# The benchmarks: set up (idempotent), add the MoviePy baseline, run one or all of them.
# Usage: bash scripts/bench.sh [compose|scaling|load|gpu|cluster|all]   (all = compose, scaling, load)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
stamp=.venv/.requirements-bench.sha256
wanted=$(sha256sum requirements-bench.txt | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  .venv/bin/python -m pip install -q --no-deps -r requirements-bench.txt
  echo "$wanted" >"$stamp"
fi
case "${1:-all}" in
  compose) .venv/bin/python scripts/bench_compose.py ;;
  scaling) .venv/bin/python scripts/bench_scaling.py ;;
  load) .venv/bin/python scripts/load_test.py ;;
  cluster) .venv/bin/python scripts/bench_cluster.py ;;
  gpu) S2V_WEIGHTS_DIR=${S2V_WEIGHTS_DIR:-weights} .venv/bin/python scripts/bench_gpu.py ;;
  all) for name in compose scaling load; do bash "$0" "$name"; done ;;
  *) echo "usage: bash scripts/bench.sh [compose|scaling|load|gpu|cluster|all]" >&2; exit 2 ;;
esac
