#!/usr/bin/env bash
# Everything a fresh Debian machine needs, idempotent: apt packages, .venv, pinned Python packages,
# .venv-qwen-tts (the Qwen3-TTS worker's own environment) and the tiny test weights.
# Re-running it does only what is missing or out of date.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v espeak-ng >/dev/null || missing+=(espeak-ng)
command -v chromium >/dev/null || missing+=(chromium)  # the studio page's browser tests (Playwright drives it)
command -v fc-list >/dev/null || missing+=(fontconfig)
command -v sox >/dev/null || missing+=(sox)  # qwen_tts checks for the program at import (it never runs it here)
if ! command -v fc-list >/dev/null || ! fc-list :lang=zh family | grep -q .; then missing+=(fonts-noto-cjk); fi
if ((${#missing[@]})); then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]} with apt-get"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
stamp=.venv/.requirements.sha256
wanted=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  echo "setup: installing Python packages into .venv (torch is large: a few minutes the first time)"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r requirements.txt
  echo "$wanted" >"$stamp"
fi

# The Qwen3-TTS speech worker's own environment: its pins (transformers 4.57) cannot share .venv.
# Made by .venv's own interpreter: the main stack's compiled packages it borrows need the same Python.
[ -x .venv-qwen-tts/bin/python ] || "$(.venv/bin/python -c 'import sys; print(sys._base_executable)')" -m venv .venv-qwen-tts
stamp=.venv-qwen-tts/.requirements.sha256
wanted=$(sha256sum requirements-qwen-tts.txt | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  echo "setup: installing the Qwen3-TTS worker's packages into .venv-qwen-tts"
  .venv-qwen-tts/bin/python -m pip install -q --no-deps -r requirements-qwen-tts.txt
  # The main stack after its own packages (torch and the rest are never installed twice).
  main=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  own=$(.venv-qwen-tts/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  echo "$main" >"$own/zz_main_stack.pth"
  echo "$wanted" >"$stamp"
fi

.venv/bin/python scripts/make_tiny_weights.py --out weights/tiny
