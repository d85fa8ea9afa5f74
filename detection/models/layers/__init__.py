"""Building blocks of the DAMO-YOLO and GiraffeDet modules (not registered: built by their parents)."""
from .conv_init import check_conv_init, conv_init_applies, reset_to_pytorch_default
from .csp_res_stage import CSPResStage
from .distribution_guided_quality import DistributionGuidedQualityPredictor
from .fusion_block import FusionBlock
from .gfpn_fusion_node import GFPNFusionNode
from .rep_basic_block import RepBasicBlock
from .rep_conv import RepConv
from .res_conv_block import ResConvBlock
from .space_to_depth import SpaceToDepthConv, depth_to_space, space_to_depth

__all__ = ['CSPResStage', 'DistributionGuidedQualityPredictor', 'FusionBlock', 'GFPNFusionNode',
           'RepBasicBlock', 'RepConv', 'ResConvBlock', 'SpaceToDepthConv', 'depth_to_space',
           'check_conv_init', 'conv_init_applies', 'reset_to_pytorch_default', 'space_to_depth']
