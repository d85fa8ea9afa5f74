"""DAMO-YOLO's official training augmentations as MMDetection transforms."""
from .mosaic_mixup import DAMOBoxAreaFilter, DAMOMixUp, DAMOMosaic, DAMORandomAffine
from .sada import SADA

__all__ = ['DAMOBoxAreaFilter', 'DAMOMixUp', 'DAMOMosaic', 'DAMORandomAffine', 'SADA']
