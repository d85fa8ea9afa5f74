# GiraffeDet-D16: D7 with a GFPN of 2 x 16 - 1 = 31 columns. The official repository releases
# only D7 and D11. UNVERIFIED: the paper's exact depth and width for D16 (its Table 1) could not
# be checked. depth=16 follows the naming of the released models (D7 and D11 use
# depth_multiplier 7 and 11); the node width keeps the released 179 (256 x 0.7), although the
# paper scales the GFPN width too. Set model.neck.depth / model.neck.inner_channels to the paper's
# values when known. No official GFLOPs: `python -m detection.complexity` lists ours only.
_base_ = './giraffedet_s2d-gfpn-d7_8xb2-73e_coco.py'

depth = 16
official_complexity = dict(params_m=None, gflops=None, input_shape=(768, 1280), flops_per_mac=1)

model = dict(neck=dict(depth=depth))
