#!/usr/bin/env bash
# Everything a fresh Debian machine needs, idempotent: apt packages, .venv, pinned Python packages,
# and the tiny test weights. Re-running it does only what is missing or out of date.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v espeak-ng >/dev/null || missing+=(espeak-ng)
command -v chromium >/dev/null || missing+=(chromium)  # the studio page's browser tests (Playwright drives it)
command -v fc-list >/dev/null || missing+=(fontconfig)
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

.venv/bin/python scripts/make_tiny_weights.py --out weights/tiny
