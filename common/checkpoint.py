"""Checkpoints that survive crashes and resume exactly.

* Writes are atomic (``fileio.atomic_open``): a process killed mid-save leaves the previous file intact.
* ``CheckpointManager`` keeps the last N checkpoints and restores model, optimizer, scheduler,
  AMP scaler, step and the RNG states (Python, NumPy, torch CPU and CUDA), so an interrupted run
  continues bit-identically on CPU.
* Loading always uses ``torch.load(weights_only=True)``: checkpoints hold only tensors and plain
  Python containers (RNG states are converted to tensors), never pickled code.
"""
from __future__ import annotations

import pickle
import random
import re
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .fileio import atomic_open


class CheckpointError(RuntimeError):
    """A checkpoint file is missing, truncated, corrupt or incompatible."""


# ----------------------------------------------------------------------------------------------- RNG
def capture_rng_state() -> dict[str, Any]:
    """The global RNG states as ``weights_only``-loadable objects."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    state = {
        "python": random.getstate(),
        "numpy": {"kind": kind, "keys": torch.from_numpy(keys.astype(np.int64)), "pos": int(pos),
                  "has_gauss": int(has_gauss), "cached_gaussian": float(cached)},
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: dict[str, Any]) -> None:
    """Inverse of ``capture_rng_state``."""
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    n = state["numpy"]
    np.random.set_state((n["kind"], n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"],
                         n["cached_gaussian"]))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


# ------------------------------------------------------------------------------------------ save/load
def save_checkpoint(path: str | Path, state: dict[str, Any]) -> Path:
    """Atomically ``torch.save`` ``state`` to ``path``."""
    with atomic_open(path, "wb") as f:
        torch.save(state, f)
    return Path(path)


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a checkpoint safely (``weights_only=True``), with a clear error for bad files.

    Raises:
        CheckpointError: missing, truncated/corrupt, holding objects outside torch's allowlist, or
            not mappable to ``map_location`` (a CUDA device on a machine without one).
        OSError, MemoryError: the file could not be read; it is not reported as damaged.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        unsafe = re.search(r"Unsupported global: GLOBAL [\w.]+|Can only build [^\n]*", str(e))
        if unsafe:
            raise CheckpointError(
                f"{path} holds Python objects outside torch's weights_only allowlist ({unsafe.group(0)}). "
                "If you trust the file, allowlist the types with torch.serialization.add_safe_globals "
                "(MMEngine checkpoints: common.mmengine_compat.allow_mmengine_checkpoints())."
            ) from e
        raise CheckpointError(f"{path} is truncated or corrupt ({_last_line(e)}); delete it and resume "
                              "from an earlier checkpoint in the same folder.") from e
    except (OSError, MemoryError):
        raise  # the file could not be read (permissions, I/O, memory): not a damaged checkpoint
    except Exception as e:  # a damaged file can fail anywhere in the unpickler (KeyError, struct.error, ...)
        if "deserialize object on" in str(e):
            raise CheckpointError(f"{path}: cannot map its tensors to {map_location!r} ({_first_line(e)})") from e
        raise CheckpointError(
            f"{path} is truncated or corrupt ({_first_line(e)}); delete it and resume from an earlier "
            "checkpoint in the same folder.") from e


def _first_line(e: BaseException) -> str:
    return str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__


def _last_line(e: BaseException) -> str:
    lines = [line for line in str(e).splitlines() if line.strip()]
    return lines[-1].strip() if lines else type(e).__name__


def unwrap_model(model: torch.nn.Module) -> torch.nn.Module:
    """The module inside a DDP/DataParallel wrapper (or the model itself)."""
    return getattr(model, "module", model)


# ---------------------------------------------------------------------------------------- manager
class CheckpointManager:
    """Numbered checkpoints ``<dir>/<prefix>_<step>.pt`` with keep-last-N and exact resume.

    Args:
        directory: folder for the checkpoints (created on first save).
        keep_last: how many of the newest checkpoints to keep (older ones are deleted after a
            successful save); ``None`` keeps all.
        prefix: file-name prefix.

    Components passed to ``save``/``resume`` are any objects with ``state_dict``/``load_state_dict``
    (model, optimizer, LR scheduler, ``torch.amp.GradScaler``, ...), by keyword.
    """

    def __init__(self, directory: str | Path, keep_last: int | None = 3, prefix: str = "ckpt") -> None:
        if keep_last is not None and keep_last < 1:
            raise ValueError(f"keep_last must be >= 1 or None, got {keep_last}")
        self.dir = Path(directory)
        self.keep_last = keep_last
        self.prefix = prefix
        self._pattern = re.compile(rf"^{re.escape(prefix)}_(\d+)\.pt$")

    def path_for(self, step: int) -> Path:
        return self.dir / f"{self.prefix}_{step:08d}.pt"

    def checkpoints(self) -> list[Path]:
        """Existing checkpoints, oldest first."""
        if not self.dir.is_dir():
            return []
        found = [(int(m.group(1)), p) for p in self.dir.iterdir() if (m := self._pattern.match(p.name))]
        return [p for _, p in sorted(found)]

    def latest(self) -> Path | None:
        paths = self.checkpoints()
        return paths[-1] if paths else None

    def save(self, step: int, extra: dict[str, Any] | None = None, **components: Any) -> Path:
        """Save ``components``' state dicts, ``step``, ``extra`` and the RNG states."""
        state = {
            "step": int(step),
            "components": {name: unwrap_model(obj).state_dict() if isinstance(obj, torch.nn.Module)
                           else obj.state_dict() for name, obj in components.items()},
            "rng": capture_rng_state(),
            "extra": extra or {},
        }
        path = save_checkpoint(self.path_for(step), state)
        if self.keep_last is not None:
            for old in self.checkpoints()[:-self.keep_last]:
                old.unlink(missing_ok=True)
        return path

    def resume(self, path: str | Path | None = None, map_location: str | torch.device = "cpu",
               restore_rng: bool = True, **components: Any) -> dict[str, Any] | None:
        """Restore ``components`` (and RNG states) from ``path`` or the latest checkpoint.

        Returns:
            ``{"step": int, "extra": dict}``, or ``None`` when there is nothing to resume from.
        Raises:
            CheckpointError: bad file, or a component missing from the checkpoint.
        """
        path = Path(path) if path is not None else self.latest()
        if path is None:
            return None
        state = load_checkpoint(path, map_location)
        saved = state.get("components", {})
        for name, obj in components.items():
            if name not in saved:
                raise CheckpointError(f"{path} has no '{name}' state (it has: {sorted(saved)}).")
            target = unwrap_model(obj) if isinstance(obj, torch.nn.Module) else obj
            target.load_state_dict(saved[name])
        if restore_rng:
            restore_rng_state(state["rng"])
        return {"step": state["step"], "extra": state.get("extra", {})}
