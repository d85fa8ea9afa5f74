# Fig 8C: full-rank DCDT RNNs trained with Adam at lr 0.1 (noise 1e-3, r0 = tanh(N(0, 0.1²)),
# 10 trials per condition, cue 10 / delay 50 / reaction 50 ms) for 10k epochs, then 10k more with
# ‖W_out‖₁ renormalised to c ∈ {0.1, 0.5, 1, 3, ∞} before every forward pass; 100 seeds (authors'
# Figure8/code/C/intervention_experiment.py). Seeds × c run as one batch in phase 2.
# Quick: 8 seeds, 4 trials per condition, 600 + 600 epochs.
experiment = "readout_intervention"
task = "dcdt"
stimulus_ms = 10.0
delay_ms = 50.0
reaction_ms = 50.0
dt_ms = 5.0
trials_per_condition = 4
n_units = 100
alpha = 0.5
noise_std = 0.001
init_state_std = 0.1
input_bias_std = None
n_seeds = 8
lr = 0.1
epochs = 600
readout_norms = [0.1, 0.5, 1.0, 3.0, float("inf")]
stuck_accuracy = 0.6
dtype = "float32"
cpu_threads = 1
checkpoint_every = 0
log_every = 100
paper = dict(n_seeds=100, trials_per_condition=10, epochs=10000, checkpoint_every=2000)
