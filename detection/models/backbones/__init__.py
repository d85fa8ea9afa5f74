from .space_to_depth_chain import SpaceToDepthChain
from .tinynas_csp import TinyNASCSP
from .tinynas_mob import TinyNASMob
from .tinynas_res import TinyNASRes

__all__ = ['SpaceToDepthChain', 'TinyNASCSP', 'TinyNASMob', 'TinyNASRes']
