#!/usr/bin/env bash
# Idempotent set-up of the project environment in .venv (cached; a no-op when nothing changed).
#
# Installs torch/torchvision, the OpenMMLab detection stack (mmengine, mmdet, and mmcv built with its
# compiled ops by scripts/build_mmcv.sh), faiss, the scientific stack, and this repository (editable),
# at the versions in requirements/constraints.txt.
#
# Environment:
#   PYTHON           interpreter to create the venv with (default: python3.11, else python3)
#   VENV             venv folder (default: .venv)
#   TORCH_INDEX_URL  extra package index for torch/torchvision, e.g. https://download.pytorch.org/whl/cu126
#   FORCE_CUDA=1     build mmcv's CUDA ops (automatic when torch sees a GPU)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
CONSTRAINTS=requirements/constraints.txt
LOG="$ROOT/$VENV-setup.log"
VPY="$ROOT/$VENV/bin/python"

stamp_of() {
    cat pyproject.toml "$CONSTRAINTS" scripts/setup.sh scripts/build_mmcv.sh | sha256sum | cut -c1-16
    echo "${TORCH_INDEX_URL:-} ${FORCE_CUDA:-0}"
}
STAMP=$(stamp_of | tr '\n' ' ')

env_ok() {
    "$VPY" -c "import torch, torchvision, mmcv._ext, mmdet, mmengine, faiss, sklearn, common" >/dev/null 2>&1
}

if [ -f "$VENV/.setup-stamp" ] && [ "$(cat "$VENV/.setup-stamp")" = "$STAMP" ] && env_ok; then
    echo "[setup] environment in $VENV is up to date"
    exit 0
fi

step() {  # step "description" command...: run quietly, logging to $LOG; explain a failure
    local what=$1; shift
    echo "[setup] $what"
    if ! "$@" >>"$LOG" 2>&1; then
        echo "[setup] ERROR: $what failed. Full output: $LOG" >&2
        tail -n 20 "$LOG" >&2
        echo "[setup] what to try: check the network access to the package index and free disk space" \
             "(the environment needs ~8 GB), then rerun 'make setup'; 'rm -rf $VENV' starts afresh." >&2
        exit 1
    fi
}

: >"$LOG"
"$PYTHON" -c 'import sys; assert (3, 10) <= sys.version_info[:2] <= (3, 12), sys.version' 2>/dev/null || {
    echo "[setup] ERROR: $PYTHON is not Python 3.10-3.12 (tested: 3.11). Set PYTHON=/path/to/python3.11." >&2
    exit 1
}
[ -x "$VPY" ] || step "creating the virtual environment $VENV with $PYTHON" "$PYTHON" -m venv "$VENV"
PIP=("$VPY" -m pip install --disable-pip-version-check -c "$CONSTRAINTS")
step "installing build tools" "${PIP[@]}" setuptools wheel ninja psutil
TORCH_ARGS=()
[ -n "${TORCH_INDEX_URL:-}" ] && TORCH_ARGS=(--extra-index-url "$TORCH_INDEX_URL")
step "installing torch and torchvision (large download on first run)" "${PIP[@]}" "${TORCH_ARGS[@]}" torch torchvision
step "installing mmengine and mmcv's runtime dependencies" \
    "${PIP[@]}" mmengine numpy opencv-python-headless addict yapf pyyaml packaging Pillow
echo "[setup] mmcv with compiled ops (scripts/build_mmcv.sh)"
bash scripts/build_mmcv.sh "$VPY"
step "installing this repository and its dependencies (editable)" "${PIP[@]}" -e ".[dev]"
step "checking that every library imports" \
    "$VPY" -c "import torch, torchvision, mmcv._ext, mmdet.models, mmengine, faiss, sklearn, common; print('ok')"
echo "$STAMP" >"$VENV/.setup-stamp"
"$VPY" - <<'PYEOF'
import torch, mmcv, mmdet, mmengine, faiss
print(f"[setup] ready: torch {torch.__version__} (CUDA available: {torch.cuda.is_available()}), "
      f"mmcv {mmcv.__version__}, mmdet {mmdet.__version__}, mmengine {mmengine.__version__}, "
      f"faiss {faiss.__version__} ({faiss.get_num_gpus()} GPUs)")
PYEOF
