# StarGAN camera style with the paper's choices where they differ from yunjey/stargan: a random target
# domain per image (code: a permutation of the batch's labels) and a learning rate that decays
# linearly to 0 over the last half of training (code: to 0.999x).
_base_ = ["./stargan_camstyle.py"]
stargan = dict(target_label="uniform", optim=dict(lr_policy="linear", decay_epochs=100))
