#!/usr/bin/env bash
# The demo: each pipeline's default run, end to end on its embedded synthetic data.
# Pipelines are independent packages; a pipeline folder that is absent is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
OUT=${DEMO_DIR:-work_dirs/demo}
ran=0
for pkg in dynamics detection reid_gan_filter reid_aicity reid_visda; do
    [ -f "$pkg/demo.py" ] || continue
    echo "=== demo: $pkg ==="
    "$PY" -m "$pkg.demo" --work-dir "$OUT/$pkg"
    ran=$((ran + 1))
done
echo "=== demo finished: $ran pipeline(s); results under $OUT ==="
