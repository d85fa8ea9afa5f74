from .aligned_ota_assigner import AlignedOTAAssigner

__all__ = ['AlignedOTAAssigner']
