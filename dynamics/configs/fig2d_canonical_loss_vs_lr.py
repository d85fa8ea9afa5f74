# Fig 2d: loss at epochs 1k–10k vs η ∈ logspace(-11, -8, 100), 10 runs per η from
# r0 = 10 r* + N(0, (r*/10)²) (authors' Figure2/code/loss_function_gradient_lr.py).
# Vectorised, so the quick scale runs the paper's full setting.
experiment = "canonical_lr_sweep"
T = 100.0
log10_lr_range = [-11.0, -8.0]
n_lrs = 100
n_inits = 10
epochs = 10000
report_epochs = [1000, 2000, 3000, 5000, 10000]
convention = "code"   # authors' gradient normalisation (see fig2bc); "exact" includes 1/T
paper = dict()
