from .channel_wise_distill_loss import ChannelWiseDistillLoss, channel_wise_divergence

__all__ = ['ChannelWiseDistillLoss', 'channel_wise_divergence']
