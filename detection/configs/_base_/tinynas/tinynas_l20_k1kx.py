# MAE-NAS structure of the DAMO-YOLO-T backbone (official nas_backbones/tinynas_L20_k1kx.txt,
# quantisation search keys dropped; keys renamed: class->block, in/out->in/out_channels,
# btn->mid_channels, k->kernel_size, s->stride, L->num_blocks). Entry 0 is the stem; each later
# entry is a stage of num_blocks blocks whose first block has the stride.
tinynas_l20_k1kx = [
    dict(block='ConvKXBNRELU', in_channels=3, out_channels=24, kernel_size=3, stride=1),
    dict(block='SuperResConvK1KX', in_channels=24, out_channels=64, mid_channels=24,
         kernel_size=3, stride=2, num_blocks=2),
    dict(block='SuperResConvK1KX', in_channels=64, out_channels=96, mid_channels=64,
         kernel_size=3, stride=2, num_blocks=2),
    dict(block='SuperResConvK1KX', in_channels=96, out_channels=192, mid_channels=96,
         kernel_size=3, stride=2, num_blocks=2),
    dict(block='SuperResConvK1KX', in_channels=192, out_channels=192, mid_channels=152,
         kernel_size=3, stride=1, num_blocks=2),
    dict(block='SuperResConvK1KX', in_channels=192, out_channels=384, mid_channels=192,
         kernel_size=3, stride=2, num_blocks=1),
]
