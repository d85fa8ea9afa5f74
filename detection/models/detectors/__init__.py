from .feature_distill_detector import FeatureDistillDetector

__all__ = ['FeatureDistillDetector']
