# Fig 8a: normalised |dL/dr| vs r for a ∈ {0.01, 0.1, 0.5, 1, 2} against a → ∞ (authors'
# Figure8/code/A/plot_loss_function.py, T = 100), the exact gradient inside the no-learning zone
# vs a, and exact-gradient descent from inside the zone at several confidences.
experiment = "confidence_gradient"
T = 100.0
confidences = [0.01, 0.1, 0.5, 1.0, 2.0]
n_r = 100
r_range = [-1.0, 2.0]   # units of r*
# The authors differentiate the simulated loss by np.gradient on the r grid ("finite_difference");
# "autograd" plots the exact derivative instead (it resolves the Euler step structure).
gradient_method = "finite_difference"
zone_r = 0.125          # r*/8, inside the zone r <= r*/4
zone_confidences = [0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0]
descent_confidences = [0.1, 0.25, 1.0, 2.0]
descent_lr = 5e-8       # exact-gradient convention; just below η_c = 3π⁴/(32T⁴) = 9.1e-8 at T = 100
descent_epochs = 100
paper = dict(descent_epochs=300)
