# Fig 6A (right): full-rank delayed-activation RNN with a trainable readout σ(x W_out + b_out),
# W ~ N(0, 1/N) (authors' Figure6/code/A/run_multiple_networks_fullrank.py: lr ∈ logspace(-4, 1, 30)
# × 10 seeds × 200,001 SGD epochs). One batched ensemble.
# Quick: 10 rates in logspace(-3, 1) × 3 seeds × 1500 epochs.
experiment = "learning_rate_sweep"
network = "full_rank_readout"
n_units = 100
alpha = 0.5
delay = 20
confidence = 10.0          # unused by this network (its readout is trainable)
init_state_value = -0.3
log10_lr_range = [-3.0, 1.0]
n_lrs = 10
n_seeds = 3
epochs = 1500
report_epochs = [150, 500, 1499]
learned_fraction = 0.01
saturation_threshold = 0.99
example_lr = 1.0
dtype = "float32"
cpu_threads = 1
checkpoint_every = 0
log_every = 100
paper = dict(log10_lr_range=[-4.0, 1.0], n_lrs=30, n_seeds=10, epochs=200001,
             report_epochs=[10000, 50000, 100000, 150000, 200000], checkpoint_every=20000, log_every=1000)
