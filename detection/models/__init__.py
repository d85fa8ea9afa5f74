"""DAMO-YOLO and GiraffeDet modules registered in MMDetection's registries (``MODELS``,
``TASK_UTILS``)."""
from .backbones import SpaceToDepthChain, TinyNASCSP, TinyNASMob, TinyNASRes
from .dense_heads import GFLV2Head, ZeroHead
from .detectors import FeatureDistillDetector
from .losses import ChannelWiseDistillLoss
from .necks import GFPN, RepGFPN
from .reparameterize import reparameterize
from .task_modules import AlignedOTAAssigner

__all__ = ['AlignedOTAAssigner', 'ChannelWiseDistillLoss', 'FeatureDistillDetector', 'GFLV2Head',
           'GFPN', 'RepGFPN', 'SpaceToDepthChain', 'TinyNASCSP', 'TinyNASMob', 'TinyNASRes',
           'ZeroHead', 'reparameterize']
