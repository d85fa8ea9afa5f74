# DAMO-YOLO-T distilled from DAMO-YOLO-S (official scripts/coco_distill.sh): channel-wise
# distillation of the neck outputs, weight decayed 1.0 -> 0.1 (cosine) over training, gradient
# norm clipped at 30. Set teacher_ckpt to a trained (or converted official) S checkpoint.
_base_ = './damoyolo_tinynas-l20-t_8xb32-300e_coco.py'

teacher_config = '{{fileDirname}}/damoyolo_tinynas-l25-s_8xb32-300e_coco.py'
official_complexity = None  # the student's numbers: see its own config
teacher_ckpt = 'checkpoints/damoyolo_tinynas-l25-s_coco.pth'

model = dict(
    type='FeatureDistillDetector',
    teacher_config=teacher_config,
    teacher_ckpt=teacher_ckpt,
    distill_loss=dict(
        type='ChannelWiseDistillLoss',
        student_channels=[64,128,256],
        teacher_channels=[128,256,512],
        tau=1.0,
        loss_weight=1.0))

optim_wrapper = dict(clip_grad=dict(max_norm=30, norm_type=2))

custom_hooks = [
    dict(
        type='EMAHook',
        ema_type='ExpMomentumEMA',
        momentum=0.0002,
        gamma=2000,
        update_buffers=True,
        priority=49),
    dict(type='DAMOAugmentScheduleHook', no_aug_epochs={{_base_.num_last_epochs}}),
    dict(type='DistillWeightHook', start=1.0, end=0.1)
]
