#!/usr/bin/env bash
# The main job on the tiny weights: set up (idempotent), then check every model role end to end.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
S2V_WEIGHTS_DIR=weights/tiny .venv/bin/python scripts/doctor.py
