#!/usr/bin/env bash
# Fresh-machine entry point: make sure `make` and Python exist, then run `make` with the same arguments.
#   ./bootstrap.sh videos    set everything up and render the default clips
#   ./bootstrap.sh test      set everything up and run the tests
set -euo pipefail
cd "$(dirname "$0")"
need=()
command -v make >/dev/null 2>&1 || need+=(make)
command -v python3 >/dev/null 2>&1 || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" -eq 0 ] || sudo -n true 2>/dev/null; }; then
    SUDO=(); [ "$(id -u)" -eq 0 ] || SUDO=(sudo -n)
    DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "blockmath: error: please install: ${need[*]}" >&2
    exit 1
  fi
fi
exec make "$@"
