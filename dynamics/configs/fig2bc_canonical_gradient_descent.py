# Figs 2b,c: gradient descent on r from r0 = 10 r*, η = 1e-10 (below η_c) and 1e-9 (above),
# 3000 epochs (authors' Figure2/code/loss_function_gradient.py). Same at both scales.
experiment = "canonical_descent"
T = 100.0
lrs = [1e-10, 1e-9]
r0_factor = 10.0
epochs = 3000
# The paper's text does not give the gradient's normalisation; the authors' code uses
# ±π/(4 r^{3/2}), the gradient of T·L ("code"). "exact" uses dL/dr (1/T included).
convention = "code"
paper = dict()
