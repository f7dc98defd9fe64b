#!/usr/bin/env bash
# One entry point for a fresh machine (Python 3.11, Node/npm and apt):
#   ./scripts/dev.sh demo    set everything up, then open JupyterLab on notebooks/00_tour.ipynb
#   ./scripts/dev.sh test    set everything up, then run the whole suite (lint, types, unit, protocol, JS,
#                            notebooks, end-to-end in Chromium)
#   ./scripts/dev.sh setup   only set up (.venv, JS bundle, Chromium for the browser tests)
#   ./scripts/dev.sh bench   set up, then run the benchmarks (writes bench/RESULTS.md)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
export PIP_DISABLE_PIP_VERSION_CHECK=1

quiet_pip() {  # pip, without this machine's noise about missing local package folders
  local log rc=0
  log=$(mktemp)
  "$PY" -m pip "$@" >"$log" 2>&1 || rc=$?
  grep -vE "is ignored: it is neither a file nor a directory" "$log" || true
  rm -f "$log"
  return "$rc"
}

setup_python() {
  if [ ! -x "$PY" ]; then
    echo "==> creating $VENV"
    python3.11 -m venv "$VENV" 2>/dev/null || python3 -m venv "$VENV"
  fi
  # torch before anything that depends on it, pinned, or pip pulls a multi-GB build (see shared notes).
  case "$(uname -m)" in
    aarch64|arm64) TORCH=(torch==2.9.1 torchvision==0.24.1) ;;
    *) TORCH=(torch==2.14.1 torchvision==0.29.1) ;;
  esac
  if ! "$PY" -c "import torch, torchvision, sys; sys.exit(0 if torch.__version__.split('+')[0] == '${TORCH[0]#torch==}' else 1)" 2>/dev/null; then
    echo "==> installing ${TORCH[*]}"
    quiet_pip install -q "${TORCH[@]}"
  fi
  echo "==> installing pxwidgets and its dependencies (editable, with the dev extras)"
  quiet_pip install -q -e ".[dev]"
}

setup_js() {
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "==> npm ci"
    npm ci --no-audit --no-fund --loglevel=error
  fi
  echo "==> building the widget bundles"
  npm run --silent build
}

setup_chromium() {
  if [ -x /usr/bin/chromium ]; then return; fi
  echo "==> installing Debian's chromium for the browser tests"
  local SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
}

pixeltable_env() {
  export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$ROOT/.pxw-cache/run}"
  mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
  export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PIXELTABLE_VERBOSITY=0
}

run_checks() {
  echo "==> ruff"; "$VENV/bin/ruff" check pxwidgets tests bench
  echo "==> mypy"; "$VENV/bin/mypy" pxwidgets
  echo "==> tsc"; npm run --silent typecheck
  echo "==> JS unit tests (node --test)"; npm run --silent test
}

cmd="${1:-}"
case "$cmd" in
  setup)
    setup_js; setup_python; setup_chromium ;;
  demo)
    setup_js; setup_python; pixeltable_env
    ROOT_FLAG=(); [ "$(id -u)" -ne 0 ] || ROOT_FLAG=(--allow-root)  # JupyterLab refuses root without it
    exec "$VENV/bin/jupyter" lab "${ROOT_FLAG[@]}" notebooks/00_tour.ipynb "${@:2}" ;;
  test)
    start=$(date +%s)
    setup_js; setup_python; setup_chromium; pixeltable_env
    run_checks
    echo "==> pytest (unit, protocol, JS harness, notebooks, end-to-end)"
    "$VENV/bin/pytest" tests notebooks --nbval-lax -q -p no:cacheprovider \
      --tracing retain-on-failure --output test-results/playwright "${@:2}"
    echo "==> whole test command took $(( $(date +%s) - start )) s" ;;
  bench)
    setup_js; setup_python; pixeltable_env
    "$PY" -m bench "${@:2}" ;;
  *)
    echo "usage: $0 demo|test|setup|bench" >&2; exit 2 ;;
esac
