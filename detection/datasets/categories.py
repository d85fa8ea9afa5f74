"""Check a COCO annotation file's categories against the class names a config declares."""
from __future__ import annotations

from typing import Sequence


class ClassMismatchError(ValueError):
    """The config's class names and the annotation file's category names differ."""


def ordered_category_ids(categories: Sequence[dict], classes: Sequence[str], ann_file: str) -> list[int]:
    """Category ids of ``classes``, in the config's order (label ``i`` is ``classes[i]``).

    Matching is by name, so the file may list its categories in any order and with any ids;
    both the dataset and the metric use this mapping, so labels and evaluation agree.

    Args:
        categories: the ``categories`` list of a COCO file (dicts with ``id`` and ``name``).
        classes: class names from the config (``metainfo.classes``).
        ann_file: the file, for error messages.

    Raises:
        ClassMismatchError: names missing on either side, or duplicated in the file or config.
    """
    names = [c['name'] for c in categories]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ClassMismatchError(f'{ann_file}: category names {duplicated} appear more than once')
    config_duplicated = sorted({n for n in classes if list(classes).count(n) > 1})
    if config_duplicated:
        raise ClassMismatchError(f'config metainfo.classes repeats {config_duplicated}')
    missing = [n for n in classes if n not in names]
    extra = [n for n in names if n not in classes]
    if missing or extra:
        raise ClassMismatchError(
            f"the config's classes and the categories of {ann_file} differ: "
            f'in the config but not the file: {missing}; in the file but not the config: {extra}. '
            f'Set metainfo=dict(classes={tuple(names)}) in the dataset config (and num_classes='
            f'{len(names)} in the head), or fix the annotation file.')
    by_name = {c['name']: c['id'] for c in categories}
    return [by_name[n] for n in classes]
