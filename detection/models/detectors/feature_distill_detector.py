"""A single-stage detector trained with feature distillation from a frozen teacher detector."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import torch
from mmengine.config import Config
from mmengine.runner import load_checkpoint
from torch import Tensor

from mmdet.models.detectors.single_stage import SingleStageDetector
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig


@MODELS.register_module()
class FeatureDistillDetector(SingleStageDetector):
    """Student detector whose neck outputs are distilled towards a teacher's (DAMO-YOLO recipe).

    Training loss: the student's detection losses plus ``distill_weight * distill_loss(student
    neck outputs, teacher neck outputs)``. ``distill_weight`` is set every iteration by
    ``DistillWeightHook`` (official: cosine from 1.0 to 0.1 over training). The teacher is built
    from its own config, loaded from its checkpoint in :meth:`init_weights` (so evaluating or
    exporting a trained student never needs the teacher file), frozen and kept in eval mode.
    Inference uses the student only.

    Args:
        backbone, neck, bbox_head: the student, as for ``SingleStageDetector``.
        teacher_config: path of the teacher's detector config (its ``model`` is built).
        teacher_ckpt: teacher checkpoint; ``None`` leaves the teacher randomly initialised
            (only for tests).
        distill_loss: feature loss config (``ChannelWiseDistillLoss``).
        train_cfg, test_cfg, data_preprocessor, init_cfg: as for ``SingleStageDetector``.
    """

    def __init__(self,
                 backbone: ConfigType,
                 neck: ConfigType,
                 bbox_head: ConfigType,
                 teacher_config: str,
                 teacher_ckpt: Optional[str],
                 distill_loss: ConfigType,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(backbone=backbone, neck=neck, bbox_head=bbox_head, train_cfg=train_cfg,
                         test_cfg=test_cfg, data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.teacher = MODELS.build(Config.fromfile(teacher_config).model)
        self.teacher.requires_grad_(False)
        self.teacher_ckpt = teacher_ckpt
        self.distill_loss = MODELS.build(distill_loss)
        self.distill_weight = 1.0

    def init_weights(self) -> None:
        super().init_weights()
        if self.teacher_ckpt is not None:
            if '://' not in self.teacher_ckpt and not Path(self.teacher_ckpt).is_file():
                raise FileNotFoundError(
                    f'teacher checkpoint {self.teacher_ckpt} not found: train the teacher config '
                    'first (or convert an official checkpoint with detection.convert) and set '
                    'model.teacher_ckpt=<path>')
            load_checkpoint(self.teacher, self.teacher_ckpt, map_location='cpu', strict=True)

    def train(self, mode: bool = True) -> 'FeatureDistillDetector':
        super().train(mode)
        self.teacher.eval()
        return self

    def loss(self, batch_inputs: Tensor, batch_data_samples: SampleList) -> dict[str, Tensor]:
        """Detection losses of the student plus ``loss_distill``."""
        feats = self.extract_feat(batch_inputs)
        losses = self.bbox_head.loss(feats, batch_data_samples)
        with torch.no_grad():
            teacher_feats = self.teacher.extract_feat(batch_inputs)
        losses['loss_distill'] = self.distill_weight * self.distill_loss(feats, teacher_feats)
        return losses
