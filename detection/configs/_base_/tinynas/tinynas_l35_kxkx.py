# MAE-NAS structure of the DAMO-YOLO-M backbone (official nas_backbones/tinynas_L35_kxkx.txt,
# quantisation search keys dropped; keys renamed: class->block, in/out->in/out_channels,
# btn->mid_channels, k->kernel_size, s->stride, L->num_blocks). Entry 0 is the stem; each later
# entry is a stage of num_blocks blocks whose first block has the stride.
tinynas_l35_kxkx = [
    dict(block='ConvKXBNRELU', in_channels=3, out_channels=32, kernel_size=3, stride=1),
    dict(block='SuperResConvKXKX', in_channels=32, out_channels=128, mid_channels=64,
         kernel_size=3, stride=2, num_blocks=2),
    dict(block='SuperResConvKXKX', in_channels=128, out_channels=128, mid_channels=64,
         kernel_size=3, stride=2, num_blocks=4),
    dict(block='SuperResConvKXKX', in_channels=128, out_channels=256, mid_channels=256,
         kernel_size=3, stride=2, num_blocks=4),
    dict(block='SuperResConvKXKX', in_channels=256, out_channels=256, mid_channels=256,
         kernel_size=3, stride=1, num_blocks=4),
    dict(block='SuperResConvKXKX', in_channels=256, out_channels=512, mid_channels=256,
         kernel_size=3, stride=2, num_blocks=3),
]
