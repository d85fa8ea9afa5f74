"""COCO metric that maps labels to categories by name, like ``CheckedCocoDataset``."""
from __future__ import annotations

from collections import OrderedDict
from typing import Optional

from mmdet.evaluation import CocoMetric
from mmdet.registry import METRICS
from ..datasets.categories import ordered_category_ids


@METRICS.register_module()
class CheckedCocoMetric(CocoMetric):
    """``CocoMetric`` whose label ``i`` is the category named ``classes[i]``.

    mmdet's ``CocoMetric`` numbers categories in the annotation file's order; with
    ``CheckedCocoDataset`` labels follow the config's order, so this metric looks the ids up by
    name and stops with a ``ClassMismatchError`` when the names differ.

    Args:
        ann_file: the ground-truth COCO file (as for ``CocoMetric``).
        **kwargs: the other ``CocoMetric`` arguments.
    """

    def __init__(self, ann_file: Optional[str] = None, **kwargs) -> None:
        super().__init__(ann_file=ann_file, **kwargs)
        self.ann_file = ann_file

    def compute_metrics(self, results: list) -> OrderedDict:
        if self._coco_api is not None and self.cat_ids is None:
            self.cat_ids = ordered_category_ids(self._coco_api.dataset['categories'],
                                                self.dataset_meta['classes'], str(self.ann_file))
        return super().compute_metrics(results)
