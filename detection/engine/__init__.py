from .distill_weight_hook import DistillWeightHook

__all__ = ['DistillWeightHook']
