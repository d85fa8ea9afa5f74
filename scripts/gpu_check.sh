#!/usr/bin/env bash
# The prepared GPU check (scripts/gpu_check.py): every pipeline's GPU path within a time budget, one report.
# Without a GPU it prints one line and exits 0.  Usage: scripts/gpu_check.sh [--budget 540] [--dry-run] [--only ...]
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python scripts/gpu_check.py "$@"
