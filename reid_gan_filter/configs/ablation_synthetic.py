# Selection cut-offs on the synthetic set of known quality (python -m reid_gan_filter.demo runs it after scoring):
# the number kept and the precision / recall of the good images for global percentiles 50, 60, 70, 80 and 100 in
# each space, selected again from the scores of the demo's scoring run; no training (ablation.train=False;
# python -m reid_gan_filter.ablation ... ablation.train=True trains the supervised comparison run of every cell).
_base_ = ["./train_supervised_synthetic.py"]
ablation = dict(consistency=[50.0, 60.0, 70.0, 80.0, 100.0], diversity=[50.0, 60.0, 70.0, 80.0, 100.0],
                train=False)
