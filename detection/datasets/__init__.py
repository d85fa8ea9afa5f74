from .categories import ClassMismatchError, ordered_category_ids
from .checked_coco import CheckedCocoDataset
from .synthetic import CLASSES as SYNTHETIC_CLASSES
from .synthetic import make_synthetic_coco, point_config_at, train_on_synthetic
from .transforms import SADA, DAMOBoxAreaFilter, DAMOMixUp, DAMOMosaic, DAMORandomAffine

__all__ = ['CheckedCocoDataset', 'ClassMismatchError', 'DAMOBoxAreaFilter', 'DAMOMixUp', 'DAMOMosaic',
           'DAMORandomAffine', 'SADA', 'SYNTHETIC_CLASSES', 'make_synthetic_coco',
           'ordered_category_ids', 'point_config_at', 'train_on_synthetic']
