from .tinynas_csp import TinyNASCSP
from .tinynas_mob import TinyNASMob
from .tinynas_res import TinyNASRes

__all__ = ['TinyNASCSP', 'TinyNASMob', 'TinyNASRes']
