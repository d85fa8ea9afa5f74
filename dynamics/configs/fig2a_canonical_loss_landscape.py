# Fig 2a: L(r) of the canonical model, closed form (a → ∞) vs Euler simulation at a = 0.1, 1
# (authors' Figure2/code/plot_loss_function.py: T = 100, Δt = 0.1, x* = 10, r ∈ linspace(-r*, 2r*, 100)).
# check_confidence adds a large-a simulation that must match the closed form.
experiment = "canonical_landscape"
T = 100.0
confidences = [0.1, 1.0]
check_confidence = 100.0
n_r = 100
r_range = [-1.0, 2.0]   # units of r*
paper = dict()
