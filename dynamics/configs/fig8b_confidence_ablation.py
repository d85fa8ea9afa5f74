# Fig 8B: rank-one RNNs trained at lr 0.02 with confidence c = 10 for 6000 epochs, then 100 more
# epochs from the same weights at each c ∈ logspace(-3, 1, 30); 100 seeds (authors'
# Figure8/code/B/test_ablation.py and plot_results.py: the analysis keeps the runs whose accuracy
# once exceeded 50% but stayed ≤ 50% over epochs 5950-6000, i.e. collapsed into the no-learning zone).
# The authors train the phase-2 runs from one phase-1 history; here every (seed, c) pair is one
# member of a batch. Quick: 40 seeds (at lr 0.02, ~20-30% of seeds collapse within 6000 epochs).
experiment = "confidence_ablation"
n_seeds = 40
n_units = 100
alpha = 0.5
delay = 20
init_state_value = -0.3
lr = 0.02
confidence = 10.0
trainable_confidence = False
epochs = 6000
rescue_epochs = 100
rescue_confidences = dict(log10_range=[-3.0, 1.0], n=30)
collapse_window = 50
plot_window = 200
dtype = "float32"
cpu_threads = 1
checkpoint_every = 0
log_every = 100
paper = dict(n_seeds=100)
