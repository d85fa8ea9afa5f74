"""DAMO-YOLO's augmentation schedule: SADA ramps up, and the last epochs train without
mosaic, affine, mixup and SADA."""
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

    ``progress = iteration / ((max_epochs - no_aug_epochs) * iterations_per_epoch)``, written to
    every ``SADA`` transform of the training set before each iteration (official ``SA_Aug``:
    image probability ``p * progress``, off once progress passes 1). From epoch ``max_epochs -
    no_aug_epochs`` on, the transform types in ``skip_type_keys`` are skipped (official
    ``no_aug_epochs``: the loader then serves plain resized, flipped images). The training set
    must be a ``MultiImageMixDataset`` for the switch.

    Args:
        no_aug_epochs: official ``no_aug_epochs`` (16).
        skip_type_keys: the transforms the switch turns off.
    """

    priority = 'NORMAL'

    def __init__(self, no_aug_epochs: int = 16,
                 skip_type_keys: Sequence[str] = ('DAMOMosaic', 'DAMORandomAffine', 'DAMOMixUp',
                                                  'DAMOBoxAreaFilter', 'SADA')) -> None:
        self.no_aug_epochs = no_aug_epochs
        self.skip_type_keys = tuple(skip_type_keys)
        self._switched = False
        self._restart_loader = False

    def progress(self, runner) -> float:
        ramp_iters = (runner.max_epochs - self.no_aug_epochs) * len(runner.train_dataloader)
        return runner.iter / ramp_iters if ramp_iters > 0 else float('inf')

    def _set_progress(self, runner) -> None:
        for transform in _pipeline_transforms(runner.train_dataloader.dataset):
            if isinstance(transform, SADA):
                transform.set_progress(self.progress(runner))

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
