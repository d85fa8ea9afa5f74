from .gfpn import GFPN
from .gfpn_graph import GraphNode, format_graph, gfpn_graph
from .rep_gfpn import RepGFPN

__all__ = ['GFPN', 'GraphNode', 'RepGFPN', 'format_graph', 'gfpn_graph']
