# Evaluate a DMT model (e.g. a stage-1 ResNet101-IBN-a run) on VeRi-776 (data.root/VeRi: image_query,
# image_test, name_*.txt, test_track.txt), with VeRi's convention: mAP and CMC over the full ranking, same-camera
# gallery images of the query's vehicle removed. The AI City post-processing stays as configured; the AI City
# camera groups (>= 40) do not occur in VeRi's 20 cameras.
#   python -m reid_aicity.evaluate reid_aicity/configs/evaluate_veri776_resnet101_ibn_a_384.py \
#       data.root=/path/to/datasets --weights work_dirs/stage1_resnet101_ibn_a_384 --work-dir work_dirs/veri776
_base_ = ["./stage1_resnet101_ibn_a_384.py"]
data = dict(target="veri776", veri_dir="VeRi")
test = dict(top_k=None, crop_test=None)  # VeRi has no detector crops (CROP_TEST is an AI City input)
