"""Image-to-image translation for ReID: SPGAN (domain translation) and StarGAN (camera style).

Shared by the pipelines that translate or score ReID images; no pipeline logic. One concept per module:

* networks: ``resnet_generator`` (CycleGAN ResNet generator), ``patch_discriminator`` (70x70 PatchGAN),
  ``sianet`` (SPGAN's Siamese embedding), ``stargan_generator`` / ``stargan_discriminator``;
* ``losses`` (LSGAN, contrastive, WGAN-GP, domain classification), ``image_pool`` (history of fakes),
  ``lr_schedule`` (constant / linear / StarGAN's official decay);
* translators with their training iteration: ``spgan.SPGAN``, ``stargan.StarGAN``;
* data: ``folders`` (image folders described by a root, a glob and a name regex or a camera file),
  ``datasets`` (tensors, seeded augmentation, batches that depend only on (seed, iteration));
* ``trainer`` (the iteration loop: schedule, metrics, progress, sample grids, checkpoints, exact
  resume), ``sample_grid``, ``manifest`` (CSV/JSON list of generated images);
* domain distance: ``colour_texture`` (parameter-free descriptor), ``frechet`` (Fréchet distance of
  feature Gaussians, torchmetrics), ``domain_distance`` (raw vs translated, per direction / camera);
* entrypoints: ``python -m common.gan.train <config> [key=value ...] [--work-dir DIR] [--resume]`` and
  ``python -m common.gan.generate <run_dir> ...``; in Python ``common.gan.train.run_gan_training(cfg,
  work_dir, resume=False) -> dict`` and ``common.gan.generate.generate(run_dir, input_spec, output_dir,
  ...) -> list[ManifestRow]``. Keys and defaults: ``defaults``; configs: ``configs/``.
"""
from .colour_texture import ColourTextureDescriptor
from .folders import ImageRecord, scan_image_folder
from .frechet import FeatureEncoder, frechet_distance
from .image_pool import ImagePool
from .manifest import MANIFEST_COLUMNS, ManifestRow, read_manifest, write_manifest
from .patch_discriminator import PatchDiscriminator
from .resnet_generator import ResnetGenerator
from .sianet import SiaNet
from .spgan import SPGAN
from .stargan import StarGAN
from .stargan_discriminator import StarGANDiscriminator
from .stargan_generator import StarGANGenerator

__all__ = [
    "ResnetGenerator", "PatchDiscriminator", "SiaNet", "StarGANGenerator", "StarGANDiscriminator",
    "SPGAN", "StarGAN", "ImagePool", "ImageRecord", "scan_image_folder", "ColourTextureDescriptor",
    "FeatureEncoder", "frechet_distance", "ManifestRow", "MANIFEST_COLUMNS", "read_manifest",
    "write_manifest",
]
