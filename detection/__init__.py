"""Object detection as MMDetection 3.x plug-ins: DAMO-YOLO (TinyNAS backbones, Efficient RepGFPN,
ZeroHead, AlignedOTA, feature distillation) and GiraffeDet (S2D-chain backbone, GFPN heavy neck,
GFocalV2 head with DGQP, ATSS).

Importing this package registers its modules in MMDetection's registries; configs load it with
``custom_imports = dict(imports=['detection'], allow_failed_imports=False)``.
"""
from . import datasets, engine, evaluation, models  # noqa: F401  (registration)
