# Fig 8B variant: the confidence c is a trained parameter (initialised at 10) while the rank-one RNN
# trains at lr 0.02; afterwards the weights are kept and c is restarted at 1 (still trained)
# (authors' Figure8/code/B - learnable confidence: seed 40, 10,000 + 10,000 epochs). Same
# experiment as fig8b_confidence_ablation with trainable_confidence = True and a single restart
# value. Quick: 40 seeds, 6000 + 300 epochs.
experiment = "confidence_ablation"
n_seeds = 40
n_units = 100
alpha = 0.5
delay = 20
init_state_value = -0.3
lr = 0.02
confidence = 10.0
trainable_confidence = True
epochs = 6000
rescue_epochs = 300
rescue_confidences = dict(log10_range=[0.0, 0.0], n=1)   # restart at c = 1
collapse_window = 50
plot_window = 300
dtype = "float32"
cpu_threads = 1
checkpoint_every = 0
log_every = 100
paper = dict(n_seeds=100, epochs=10000, rescue_epochs=10000)
