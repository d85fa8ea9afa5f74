"""Learning-rate schedules of the image translators, as a pure function of the completed epochs.

The factor multiplies the base learning rate; it changes only at epoch boundaries, so a run resumed in
the middle of an epoch recomputes it from the step alone (no scheduler state to save).

Policies:

* ``constant``: SPGAN's official code (TensorFlow ``train_spgan_demo.py``, eSPGAN ``train_spgan.py``,
  OpenUnReID ``lr_scheduler: null``) keeps lr 2e-4 throughout.
* ``linear``: constant, then linearly down to 0 over the last ``decay_epochs`` epochs: CycleGAN's
  ``lr_policy='linear'`` (100 + 100 epochs) and the StarGAN paper's training details (constant, then a
  linear decay to 0 over the second half).
* ``stargan_code``: what yunjey/stargan ``solver.py`` actually does: every ``lr_update_step`` (1000)
  iterations of the last ``num_iters_decay`` iterations it subtracts ``lr / num_iters_decay``, i.e.
  ``lr_update_step / num_iters_decay`` of the intended step: the rate ends at 1 - 100/100000 = 0.999
  of its start instead of 0. With ``iters_per_epoch = lr_update_step`` this is
  ``1 - max(0, k - (E - decay_epochs)) / (decay_epochs * iters_per_epoch)`` after ``k`` epochs.
"""
from __future__ import annotations

POLICIES = ("constant", "linear", "stargan_code")


def lr_factor(policy: str, completed_epochs: int, epochs: int, decay_epochs: int, iters_per_epoch: int) -> float:
    """The learning-rate multiplier after ``completed_epochs`` of ``epochs``.

    Args:
        policy: one of ``POLICIES``.
        completed_epochs: epochs finished so far (0 during the first epoch).
        epochs: total epochs of the run.
        decay_epochs: length of the decay window at the end of the run (ignored by ``constant``).
        iters_per_epoch: iterations per epoch (used by ``stargan_code``).
    """
    if policy == "constant":
        return 1.0
    if policy not in POLICIES:
        raise ValueError(f"unknown learning-rate policy '{policy}': choose one of {', '.join(POLICIES)}")
    if not 0 < decay_epochs <= epochs:
        raise ValueError(f"decay_epochs must be in [1, epochs={epochs}] for policy '{policy}', got {decay_epochs}")
    decayed = max(0, completed_epochs - (epochs - decay_epochs))
    if policy == "linear":
        return 1.0 - decayed / decay_epochs
    return 1.0 - decayed / (decay_epochs * iters_per_epoch)
