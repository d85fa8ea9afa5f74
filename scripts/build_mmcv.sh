#!/usr/bin/env bash
# Build (or reuse a cached) mmcv wheel with compiled ops for the interpreter given as $1.
#
# Why this script exists: mmdet 3.3.0 imports mmcv's compiled `mmcv._ext`, PyPI ships mmcv 2.1.0
# only as source, and that source asks the compiler for C++14/17 while current torch headers need
# C++20. We raise the language standard, build with torch's own extension machinery, and cache the
# wheel outside the repository, keyed by mmcv version, torch version, Python tag and CPU/CUDA flavour.
#
# Usage: scripts/build_mmcv.sh PYTHON
# Environment:
#   FORCE_CUDA=1         build the CUDA ops even if no GPU is visible (needs nvcc / CUDA_HOME)
#   MMCV_VERSION         default 2.1.0
#   REPROZOO_CACHE       cache folder (default ${XDG_CACHE_HOME:-~/.cache}/reprozoo)
#   MAX_JOBS             parallel compile jobs (default: number of CPUs)
set -euo pipefail

PY=${1:?usage: build_mmcv.sh PYTHON}
MMCV_VERSION=${MMCV_VERSION:-2.1.0}
CACHE=${REPROZOO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/reprozoo}

# Flavour: CUDA ops when torch sees a GPU or FORCE_CUDA=1 (mmcv's own rule), CPU ops otherwise.
read -r TORCH_VERSION PY_TAG FLAVOUR < <("$PY" - <<'PYEOF'
import os, sys, torch
cuda = torch.cuda.is_available() or os.environ.get("FORCE_CUDA", "0") == "1"
flavour = f"cuda{torch.version.cuda}" if cuda and torch.version.cuda else "cpu"
print(torch.__version__.replace("+", "_"), f"cp{sys.version_info.major}{sys.version_info.minor}", flavour)
PYEOF
)
KEY="mmcv-${MMCV_VERSION}_torch-${TORCH_VERSION}_${PY_TAG}_${FLAVOUR}"
WHEEL_DIR="$CACHE/wheels/$KEY"
LOG_DIR="$CACHE/logs"
mkdir -p "$WHEEL_DIR" "$LOG_DIR"

installed_ok() {
    "$PY" - "$MMCV_VERSION" <<'PYEOF' >/dev/null 2>&1
import sys, mmcv, mmcv._ext  # noqa: F401  (the compiled ops must import)
sys.exit(0 if mmcv.__version__ == sys.argv[1] else 1)
PYEOF
}

if installed_ok; then
    echo "[mmcv] mmcv $MMCV_VERSION with compiled ops already installed ($KEY)"
    exit 0
fi

wheel=$(ls "$WHEEL_DIR"/mmcv-*.whl 2>/dev/null | head -n 1 || true)
if [ -z "$wheel" ]; then
    LOG="$LOG_DIR/$KEY.log"
    echo "[mmcv] no cached wheel for $KEY: building from source ($FLAVOUR ops)."
    echo "[mmcv] this takes about 15 minutes on 2 CPU cores; compiler output goes to $LOG"
    WORK=$(mktemp -d)
    trap 'rm -rf "$WORK"' EXIT
    fail() {
        echo "[mmcv] ERROR: $1" >&2
        echo "[mmcv] last lines of $LOG:" >&2
        tail -n 25 "$LOG" >&2 || true
        echo "[mmcv] what to try: check that gcc/g++ and the Python headers are installed;" \
             "for CUDA ops, that nvcc matches torch.version.cuda; then rerun the set-up." >&2
        exit 1
    }
    {
        "$PY" -m pip download --no-deps --no-binary :all: "mmcv==$MMCV_VERSION" -d "$WORK"
    } >"$LOG" 2>&1 || fail "could not download the mmcv $MMCV_VERSION source distribution"
    tar -xzf "$WORK/mmcv-$MMCV_VERSION.tar.gz" -C "$WORK" >>"$LOG" 2>&1 || fail "could not unpack the mmcv source"
    SRC="$WORK/mmcv-$MMCV_VERSION"
    # The one source change: current torch headers need C++20 (gcc and nvcc flags alike).
    sed -i -E 's/(-|\/)std(=|:)c\+\+1[47]/\1std\2c++20/g' "$SRC/setup.py"
    grep -q 'c++20' "$SRC/setup.py" || fail "could not raise the C++ standard in mmcv's setup.py"
    export MMCV_WITH_OPS=1
    export MAX_JOBS=${MAX_JOBS:-$(nproc)}
    ( cd "$SRC" && "$PY" -m pip wheel --no-build-isolation --no-deps -w "$WORK/dist" . ) \
        >>"$LOG" 2>&1 || fail "compiling mmcv's ops failed"
    built=$(ls "$WORK"/dist/mmcv-*.whl)
    # Publish atomically: a half-copied wheel must never look like a cache hit.
    cp "$built" "$WHEEL_DIR/.partial" && mv "$WHEEL_DIR/.partial" "$WHEEL_DIR/$(basename "$built")"
    wheel="$WHEEL_DIR/$(basename "$built")"
    echo "[mmcv] built and cached $wheel"
else
    echo "[mmcv] using cached wheel $wheel"
fi

"$PY" -m pip install --no-deps --force-reinstall -q "$wheel"
installed_ok || { echo "[mmcv] ERROR: mmcv installed from $wheel but 'import mmcv._ext' fails" >&2; exit 1; }
echo "[mmcv] mmcv $MMCV_VERSION with compiled ops installed ($KEY)"
