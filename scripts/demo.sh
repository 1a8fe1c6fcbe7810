#!/usr/bin/env bash
# The main job: set up (idempotent), check every model role, start the server on the tiny weights,
# render a sample story through HTTP with a progress bar, print the video URL, stop the server.
# Usage: bash scripts/demo.sh [STORY.txt]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
story=${1:-samples/fox-and-moon.zh.txt}
export S2V_WEIGHTS_DIR=${S2V_WEIGHTS_DIR:-weights/tiny}
# The tiny image-to-video model animates at a small working size; the clip is scaled to 720p.
export S2V_I2V_RESOLUTION=${S2V_I2V_RESOLUTION:-256x160} S2V_I2V_FRAMES=${S2V_I2V_FRAMES:-17}
export S2V_I2V_STEPS=${S2V_I2V_STEPS:-4}
export S2V_HOST=127.0.0.1
# A free port unless one is given, so a server already on 8000 is never mistaken for ours.
export S2V_PORT=${S2V_PORT:-$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
.venv/bin/python scripts/doctor.py

mkdir -p data/demo
log=data/demo/server.log
.venv/bin/python -m server >"$log" 2>&1 &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
echo "server: http://$S2V_HOST:$S2V_PORT (pid $server, log $log)"

out=data/demo/$(basename "${story%.*}").mp4
.venv/bin/python scripts/client.py "$story" --url "http://$S2V_HOST:$S2V_PORT" --server-pid "$server" \
  --scenes 6 --resolution 720p --fps 24 --out "$out" || { tail -n 20 "$log" >&2; exit 1; }
