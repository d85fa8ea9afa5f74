# GiraffeDet-D11 (official configs/giraffeDet/giraffe_d11_scratch_6x.py): D7 with a GFPN of
# 2 x 11 - 1 = 21 columns (depth_multiplier=11); everything else is identical to D7.
_base_ = './giraffedet_s2d-gfpn-d7_8xb2-73e_coco.py'

depth = 11
official_complexity = dict(params_m=None, gflops=272.07, input_shape=(768, 1280), flops_per_mac=1)

model = dict(neck=dict(depth=depth))
