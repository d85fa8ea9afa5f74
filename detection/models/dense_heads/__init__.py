from .gfl_v2_head import GFLV2Head
from .zero_head import ZeroHead

__all__ = ['GFLV2Head', 'ZeroHead']
