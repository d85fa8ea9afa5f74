from .zero_head import ZeroHead

__all__ = ['ZeroHead']
