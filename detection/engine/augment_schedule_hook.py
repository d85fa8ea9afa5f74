"""DAMO-YOLO's augmentation schedule: SADA ramps up over the run, and the last epochs train
without mosaic, affine and mixup."""
from __future__ import annotations

from typing import Optional, Sequence

from mmengine.hooks import Hook

from mmdet.registry import HOOKS

from ..datasets.transforms import SADA


def _pipeline_transforms(dataset) -> list:
    """The transform objects of a dataset's pipeline (a ``MultiImageMixDataset`` keeps a list,
    an MMEngine dataset a ``Compose``), the wrapped dataset's included."""
    found = []
    while dataset is not None:
        pipeline = getattr(dataset, 'pipeline', None)
        found += list(getattr(pipeline, 'transforms', pipeline) or [])
        dataset = getattr(dataset, 'dataset', None)
    return found


@HOOKS.register_module()
class DAMOAugmentScheduleHook(Hook):
    """Drive SADA's ``progress`` and switch the strong augmentations off for the last epochs.

    ``progress = iteration / total iterations``, written to every ``SADA`` transform of the
    training set before each iteration (official ``SA_Aug``: image probability ``p * progress``;
    the official trainer builds it without ``no_aug_epochs``, so the ramp spans the whole run
    and SADA stays on in the last epochs, which load images through the same transforms). From
    epoch ``max_epochs - no_aug_epochs`` on, the transform types in ``skip_type_keys`` are
    skipped (official ``no_aug_epochs``: no mosaic, affine or mixup; the images are resized,
    flipped and SADA-augmented). The training set must be a ``MultiImageMixDataset`` for the
    switch.

    Args:
        no_aug_epochs: official ``no_aug_epochs`` (16).
        skip_type_keys: the transforms the switch turns off.
    """

    priority = 'NORMAL'

    def __init__(self, no_aug_epochs: int = 16,
                 skip_type_keys: Sequence[str] = ('DAMOMosaic', 'DAMORandomAffine', 'DAMOMixUp',
                                                  'DAMOBoxAreaFilter')) -> None:
        self.no_aug_epochs = no_aug_epochs
        self.skip_type_keys = tuple(skip_type_keys)
        self._switched = False
        self._restart_loader = False
        self._sada: Optional[list[SADA]] = None  # the training set's SADA transforms, found once

    def progress(self, runner) -> float:
        return runner.iter / max(runner.max_epochs * len(runner.train_dataloader), 1)

    def _set_progress(self, runner) -> None:
        if self._sada is None:
            self._sada = [t for t in _pipeline_transforms(runner.train_dataloader.dataset)
                          if isinstance(t, SADA)]
        progress = self.progress(runner)
        for transform in self._sada:
            transform.set_progress(progress)

    def before_train_epoch(self, runner) -> None:
        loader = runner.train_dataloader
        if self._restart_loader:  # MMDetection's way to restart persistent workers, undone here
            loader._DataLoader__initialized = True
            self._restart_loader = False
        if not self._switched and runner.epoch >= runner.max_epochs - self.no_aug_epochs:
            if not hasattr(loader.dataset, 'update_skip_type_keys'):
                raise TypeError('DAMOAugmentScheduleHook switches augmentations off through a '
                                'MultiImageMixDataset; the training set is a '
                                f'{type(loader.dataset).__name__}')
            runner.logger.info(f'Last {self.no_aug_epochs} epochs: {", ".join(self.skip_type_keys)} off')
            loader.dataset.update_skip_type_keys(self.skip_type_keys)
            if getattr(loader, 'persistent_workers', False):
                loader._DataLoader__initialized = False
                loader._iterator = None
                self._restart_loader = True
            self._switched = True
        self._set_progress(runner)

    def before_train_iter(self, runner, batch_idx: int, data_batch: Optional[dict] = None) -> None:
        self._set_progress(runner)
