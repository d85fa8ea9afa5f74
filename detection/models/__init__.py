"""DAMO-YOLO modules registered in MMDetection's registries (``MODELS``, ``TASK_UTILS``)."""
from .backbones import TinyNASCSP, TinyNASMob, TinyNASRes
from .dense_heads import ZeroHead
from .detectors import FeatureDistillDetector
from .losses import ChannelWiseDistillLoss
from .necks import RepGFPN
from .reparameterize import reparameterize
from .task_modules import AlignedOTAAssigner

__all__ = ['AlignedOTAAssigner', 'ChannelWiseDistillLoss', 'FeatureDistillDetector', 'RepGFPN',
           'TinyNASCSP', 'TinyNASMob', 'TinyNASRes', 'ZeroHead', 'reparameterize']
