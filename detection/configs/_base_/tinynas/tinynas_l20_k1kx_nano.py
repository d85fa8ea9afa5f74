# MAE-NAS structure of the DAMO-YOLO-N backbone (official nas_backbones/tinynas_L20_k1kx_nano.txt,
# quantisation search keys dropped; keys renamed: class->block, in/out->in/out_channels,
# btn->mid_channels, k->kernel_size, s->stride, L->num_blocks). Entry 0 is the stem; each later
# entry is a stage of num_blocks blocks whose first block has the stride.
tinynas_l20_k1kx_nano = [
    dict(block='ConvKXBNRELU', in_channels=3, out_channels=16, kernel_size=3, stride=1),
    dict(block='SuperResConvK1KX', in_channels=16, out_channels=40, mid_channels=24,
         kernel_size=3, stride=2, num_blocks=2),
    dict(block='SuperResConvK1KX', in_channels=40, out_channels=80, mid_channels=64,
         kernel_size=3, stride=2, num_blocks=2),
    dict(block='SuperResConvK1KX', in_channels=80, out_channels=112, mid_channels=40,
         kernel_size=3, stride=2, num_blocks=2),
    dict(block='SuperResConvK1KX', in_channels=112, out_channels=112, mid_channels=152,
         kernel_size=3, stride=1, num_blocks=2),
    dict(block='SuperResConvK1KX', in_channels=112, out_channels=160, mid_channels=192,
         kernel_size=3, stride=2, num_blocks=1),
]
