from .augment_schedule_hook import DAMOAugmentScheduleHook
from .distill_weight_hook import DistillWeightHook
from .warmup_lr import DAMOQuadraticWarmupLR

__all__ = ['DAMOAugmentScheduleHook', 'DAMOQuadraticWarmupLR', 'DistillWeightHook']
