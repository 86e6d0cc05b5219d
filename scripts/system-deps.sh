#!/usr/bin/env bash
# Make sure the system pieces pip cannot provide are here: a C compiler, Python headers and venv,
# pkg-config with cairo/pango headers (pycairo and manimpango build from source), ffmpeg/ffprobe, a font.
# With the argument `test`, also Chromium and its WebDriver (the gallery is tested in a real headless browser).
# Installs what is missing with apt-get when it can (root, or sudo without a password); otherwise says what to run.
set -euo pipefail
PYTHON=${PYTHON:-python3}

missing=()
command -v cc >/dev/null 2>&1 || missing+=(build-essential)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
pkg-config --exists cairo 2>/dev/null || missing+=(libcairo2-dev)
pkg-config --exists pangocairo 2>/dev/null || missing+=(libpango1.0-dev)
command -v ffprobe >/dev/null 2>&1 || missing+=(ffmpeg)
fonts=$(fc-list 2>/dev/null || true)  # read once: `fc-list | grep -q` trips pipefail when grep stops early
grep -qi "DejaVu Sans" <<<"$fonts" || missing+=(fonts-dejavu-core)
grep -qi "Noto Sans CJK" <<<"$fonts" || missing+=(fonts-noto-cjk)  # sentences in Chinese, Japanese, Korean
grep -qi "Noto Sans Arabic" <<<"$fonts" || missing+=(fonts-noto-core)  # Arabic, Hebrew, Devanagari, ...
grep -qi "Symbola" <<<"$fonts" || missing+=(fonts-symbola)  # emoji as outlines (color emoji fonts draw nothing)
if ! command -v "$PYTHON" >/dev/null 2>&1; then
  missing+=(python3 python3-venv python3-dev)
else
  "$PYTHON" -c "import ensurepip, venv" >/dev/null 2>&1 || missing+=(python3-venv)
  "$PYTHON" -c "import os, sysconfig; raise SystemExit(not os.path.exists(os.path.join(sysconfig.get_paths()['include'], 'Python.h')))" \
    >/dev/null 2>&1 || missing+=(python3-dev)
fi
if [ "${1:-}" = test ]; then
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  [ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
fi

[ ${#missing[@]} -eq 0 ] && exit 0

echo "blockmath: installing system packages: ${missing[*]}"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "blockmath: error: no apt-get here; install these (or your system's equivalents) and run again: ${missing[*]}" >&2
  exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
else
  echo "blockmath: error: need root to install system packages; run: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "blockmath: system packages installed"
