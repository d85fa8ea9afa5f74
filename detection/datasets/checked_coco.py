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

    Args: as for ``CocoDataset``; ``metainfo=dict(classes=(...))`` is required, and
        keep_small_boxes: keep boxes under 1 px wide or high (and with ``area <= 0``), which
            ``CocoDataset`` drops; the official DAMO-YOLO loader keeps every box that overlaps
            the image (its configs set True). Default False: MMDetection's rule.
    """

    def __init__(self, *args, keep_small_boxes: bool = False, **kwargs) -> None:
        self.keep_small_boxes = keep_small_boxes
        super().__init__(*args, **kwargs)

    def parse_data_info(self, raw_data_info: dict) -> dict:
        data_info = super().parse_data_info(raw_data_info)
        if self.keep_small_boxes:
            data_info['instances'] = [self._instance(ann, raw_data_info['raw_img_info'])
                                      for ann in raw_data_info['raw_ann_info']]
            data_info['instances'] = [inst for inst in data_info['instances'] if inst is not None]
        return data_info

    def _instance(self, ann: dict, img_info: dict) -> dict | None:
        """``CocoDataset``'s instance of ``ann`` without its size rule: ignored annotations,
        boxes outside the image and other categories are still dropped."""
        x1, y1, w, h = ann['bbox']
        inter_w = max(0, min(x1 + w, img_info['width']) - max(x1, 0))
        inter_h = max(0, min(y1 + h, img_info['height']) - max(y1, 0))
        if ann.get('ignore', False) or inter_w * inter_h == 0 or ann['category_id'] not in self.cat_ids:
            return None
        instance = dict(ignore_flag=int(bool(ann.get('iscrowd', False))), bbox=[x1, y1, x1 + w, y1 + h],
                        bbox_label=self.cat2label[ann['category_id']])
        if ann.get('segmentation', None):
            instance['mask'] = ann['segmentation']
        return instance

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
