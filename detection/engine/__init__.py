from .augment_schedule_hook import DAMOAugmentScheduleHook
from .distill_weight_hook import DistillWeightHook

__all__ = ['DAMOAugmentScheduleHook', 'DistillWeightHook']
