#!/usr/bin/env bash
# The main job: set up (idempotent), check every model role, then render a sample story end to end
# on the tiny weights and print where the mp4 is.  Usage: bash scripts/demo.sh [STORY.txt]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
story=${1:-samples/fox-and-moon.zh.txt}
export S2V_WEIGHTS_DIR=${S2V_WEIGHTS_DIR:-weights/tiny}
# The tiny image-to-video model animates at a small working size; the clip is scaled to 720p.
export S2V_I2V_RESOLUTION=${S2V_I2V_RESOLUTION:-256x160} S2V_I2V_FRAMES=${S2V_I2V_FRAMES:-17}
export S2V_I2V_STEPS=${S2V_I2V_STEPS:-4}
.venv/bin/python scripts/doctor.py
out=data/demo/$(basename "${story%.*}").mp4
.venv/bin/python scripts/render.py "$story" --out "$out" --scenes 6 --resolution 720p --fps 24
echo "video: $(pwd)/$out"
echo "subtitles: $(pwd)/${out%.mp4}.srt"
