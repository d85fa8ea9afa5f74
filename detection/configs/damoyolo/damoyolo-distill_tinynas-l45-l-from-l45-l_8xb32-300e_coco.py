# DAMO-YOLO-L distilled from itself (official README: "L is distilled by itself", L* 51.9 mAP;
# scripts/coco_distill.sh's trainer with an L teacher): channel-wise distillation of the neck
# outputs, weight decayed 1.0 -> 0.1 (cosine) over training, gradient norm clipped at 30. Set
# teacher_ckpt to a trained L checkpoint (or the converted official non-distilled L, 50.8).
_base_ = './damoyolo_tinynas-l45-l_8xb32-300e_coco.py'

teacher_config = '{{fileDirname}}/damoyolo_tinynas-l45-l_8xb32-300e_coco.py'
official_complexity = None  # the student's numbers: see its own config
teacher_ckpt = 'checkpoints/damoyolo_tinynas-l45-l_coco.pth'

model = dict(
    type='FeatureDistillDetector',
    teacher_config=teacher_config,
    teacher_ckpt=teacher_ckpt,
    distill_loss=dict(
        type='ChannelWiseDistillLoss',
        student_channels=[128,256,512],
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
