# Fig 7 (DCDT): full-rank RNN, lr ∈ logspace(-3, 1, 20) × 20 seeds × 20k SGD epochs (authors'
# Figure7/code/dcdt/run_multiple_networks_dcdt.py): cue 30 ms, delay 80 ms, reaction 50 ms, tanh
# readout, no noise, r0 = 0, one trial per condition; box plots of the time-averaged loss and
# ‖∇W_rec‖. One batched ensemble. Quick: 8 rates × 3 seeds × 1500 epochs.
experiment = "learning_rate_sweep"
network = "working_memory"
task = "dcdt"
stimulus_ms = 30.0
delay_ms = 80.0
reaction_ms = 50.0
dt_ms = 5.0
trials_per_condition = 1
n_units = 100
alpha = 0.5
noise_std = 0.0
init_state_std = 0.0
input_bias_std = None
log10_lr_range = [-3.0, 1.0]
n_lrs = 8
n_seeds = 3
epochs = 1500
report_epochs = [150, 700, 1499]
learned_fraction = 0.01
saturation_threshold = 0.99
example_lr = 0.3
dtype = "float32"
cpu_threads = 1
checkpoint_every = 0
log_every = 100
paper = dict(n_lrs=20, n_seeds=20, epochs=20000, report_epochs=[1000, 5000, 10000, 19999],
             checkpoint_every=5000, log_every=500)
