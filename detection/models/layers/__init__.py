"""Building blocks shared by the DAMO-YOLO modules (not registered: built by their parents)."""
from .csp_res_stage import CSPResStage
from .fusion_block import FusionBlock
from .rep_basic_block import RepBasicBlock
from .rep_conv import RepConv
from .res_conv_block import ResConvBlock

__all__ = ['CSPResStage', 'FusionBlock', 'RepBasicBlock', 'RepConv', 'ResConvBlock']
