# Filter a GAN-augmented Market-1501 training set (e.g. CamStyle copies written by python -m common.gan.generate
# with their manifest): E_c a ResNet50-IBN-a trained on the real training set with the bag-of-tricks recipe
# (ImageNet weights from the IBN-Net release), E_d the parameter-free colour/texture descriptor; keep the images
# among the most consistent and the most diverse (reid_gan_filter.defaults says why for each key).
data = dict(real=dict(root="data/market1501", layout="market1501"),
            generated=dict(manifest="data/market1501/bounding_box_train_camstyle/manifest.csv"))
encoders = dict(reid=dict(backbone=dict(name="resnet50_ibn_a", last_stride=1,
                                        pretrained="pretrained/resnet50_ibn_a-d9d0bb7b.pth"),
                          size=[256, 128]))
