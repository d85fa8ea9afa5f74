"""The cropping tool: best box per image from COCO results, margins, fallbacks and clear errors."""
import json

import pytest
from PIL import Image

from reid_aicity.crop_detections import DetectionFileError, best_boxes, crop_box, crop_detections


def _setup(tmp_path, detections):
    images = tmp_path / "image_train"
    images.mkdir()
    Image.new("RGB", (40, 30), (255, 0, 0)).save(images / "000001.jpg")
    Image.new("RGB", (40, 30), (0, 255, 0)).save(images / "000002.jpg")
    (tmp_path / "images.json").write_text(json.dumps({"images": [{"id": 1, "file_name": "000001.jpg"},
                                                                 {"id": 2, "file_name": "000002.jpg"}]}))
    (tmp_path / "det.json").write_text(json.dumps(detections))
    return images


def test_highest_scoring_box_of_the_category_is_cropped(tmp_path):
    images = _setup(tmp_path, [
        {"image_id": 1, "category_id": 3, "bbox": [10, 5, 20, 10], "score": 0.9},
        {"image_id": 1, "category_id": 3, "bbox": [0, 0, 5, 5], "score": 0.5},
        {"image_id": 1, "category_id": 1, "bbox": [0, 0, 40, 30], "score": 0.99},  # a person: ignored
        {"image_id": 2, "category_id": 3, "bbox": [0, 0, 10, 10], "score": 0.1},   # below min_score
    ])
    out = tmp_path / "crops"
    summary = crop_detections(images, tmp_path / "det.json", tmp_path / "images.json", out, min_score=0.3,
                              categories=[3], margin=0.1)
    assert (summary.cropped, summary.copied) == (1, 1)
    # box (10, 5, 20, 10) grown by 10% per side: (8, 4) - (32, 16)
    assert Image.open(out / "000001.jpg").size == (24, 12)
    assert Image.open(out / "000002.jpg").size == (40, 30)  # no box: copied


def test_crop_box_clips_to_the_image():
    assert crop_box(40, 30, (-5, 25, 20, 10), 0.0) == (0, 25, 15, 30)


def test_malformed_detection_files_name_the_file_and_entry(tmp_path):
    images = _setup(tmp_path, [{"image_id": 1, "bbox": [1, 2, 3], "score": 0.9}])
    with pytest.raises(DetectionFileError, match=r"det\.json: entry 0 must have image_id, bbox"):
        crop_detections(images, tmp_path / "det.json", tmp_path / "images.json", tmp_path / "o")
    (tmp_path / "det.json").write_text("[{")
    with pytest.raises(DetectionFileError, match=r"det\.json: malformed JSON at line 1"):
        crop_detections(images, tmp_path / "det.json", tmp_path / "images.json", tmp_path / "o")
    with pytest.raises(DetectionFileError, match="image_id 7, which the image list does not define"):
        best_boxes([{"image_id": 7, "bbox": [0, 0, 1, 1], "score": 1.0}], {1, 2}, source="d.json")
