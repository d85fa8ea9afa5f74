"""COCO-format dataset that refuses a class list that does not match the annotation file."""
from __future__ import annotations

import copy

from mmengine.fileio import get_local_path

from mmdet.datasets import CocoDataset
from mmdet.registry import DATASETS
from .categories import ordered_category_ids


@DATASETS.register_module()
class CheckedCocoDataset(CocoDataset):
    """``CocoDataset`` with a class check and labels in the config's class order.

    mmdet's ``CocoDataset`` silently drops config classes that the file lacks and numbers labels
    in the file's category order, which gives an AP of 0 or swapped class names when a custom
    dataset's categories differ from the config (a frequent complaint against the official
    DAMO-YOLO code). Here the category names must equal the config's ``metainfo.classes`` (any
    order, any ids) or loading stops with :class:`~.categories.ClassMismatchError`; label ``i``
    is always ``classes[i]``.

    Args: as for ``CocoDataset``; ``metainfo=dict(classes=(...))`` is required.
    """

    def load_data_list(self) -> list[dict]:
        if 'classes' not in self.metainfo or not self.metainfo['classes']:
            raise ValueError(f'{type(self).__name__} needs metainfo=dict(classes=(...)) in the config')
        with get_local_path(self.ann_file, backend_args=self.backend_args) as local_path:
            self.coco = self.COCOAPI(local_path)
        self.cat_ids = ordered_category_ids(self.coco.dataset['categories'],
                                            self.metainfo['classes'], str(self.ann_file))
        self.cat2label = {cat_id: i for i, cat_id in enumerate(self.cat_ids)}
        self.cat_img_map = copy.deepcopy(self.coco.cat_img_map)
        data_list = []
        ann_ids_seen = []
        for img_id in self.coco.get_img_ids():
            raw_img_info = self.coco.load_imgs([img_id])[0]
            raw_img_info['img_id'] = img_id
            ann_ids = self.coco.get_ann_ids(img_ids=[img_id])
            ann_ids_seen.extend(ann_ids)
            data_list.append(self.parse_data_info({'raw_ann_info': self.coco.load_anns(ann_ids),
                                                   'raw_img_info': raw_img_info}))
        if len(set(ann_ids_seen)) != len(ann_ids_seen):
            raise ValueError(f"annotation ids in '{self.ann_file}' are not unique")
        del self.coco
        return data_list
