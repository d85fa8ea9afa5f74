"""AI City / VeRi / VehicleX label files: ``<Item imageName=... vehicleID=... cameraID=.../>`` XML.

The files are read as bytes and decoded here, not by the XML parser: VeRi-776's ``train_label.xml``
declares ``encoding="gb2312"``, which Python's expat-based parsers (``xml.dom.minidom`` used by the
official DMT code, ``xml.etree``) reject with ``ValueError: multi-byte encodings are not supported``.
The declared encoding is mapped to a Python codec (gb2312 -> gbk, its superset, as the files use
characters outside strict GB2312), the text is decoded, the declaration is removed and the rest is
parsed. Every failure names the file (and the line/column or item) and says what to check.

Item attributes used (AIC21 Track 2, VeRi-776, VehicleX simulation):

* ``imageName``: file name inside the image folder;
* ``vehicleID``: identity (``"0001"``); absent in AIC21 ``query_label.xml`` / ``test_label.xml``;
* ``cameraID``: ``"c001"`` -> camera 1 (DMT: ``int(cameraID[1:])``);
* ``orientation``: VehicleX viewing angle in degrees (0-360), read by the orientation model.
"""
from __future__ import annotations

import codecs
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from common.fileio import atomic_open

#: Declared encodings whose Python codec is a superset that must be used instead.
ENCODING_ALIASES = {"gb2312": "gbk", "gb_2312-80": "gbk", "gb2312-80": "gbk", "euc-cn": "gbk"}

_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*?\?>", re.DOTALL)
_DECLARED_ENCODING = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


class LabelFileError(ValueError):
    """A label file is unreadable, malformed or lacks a required attribute (the message names it)."""


def python_codec(declared: str) -> str:
    """The Python codec for an XML-declared encoding name (``gb2312`` -> ``gbk``)."""
    name = declared.strip().lower()
    name = ENCODING_ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise LookupError(f"unknown encoding '{declared}'") from None


def decode_xml_bytes(data: bytes, source: str = "<bytes>") -> str:
    """Decode XML bytes by their BOM or declared encoding (default UTF-8); the declaration is removed.

    Raises:
        LabelFileError: unknown encoding or bytes that do not decode, naming ``source``.
    """
    encoding = "utf-8"
    for bom, name in _BOMS:
        if data.startswith(bom):
            data, encoding = data[len(bom):], name
            break
    else:
        head = _DECLARATION.match(data)
        declared = _DECLARED_ENCODING.search(head.group(0)) if head else None
        if declared:
            try:
                encoding = python_codec(declared.group(1).decode("ascii"))
            except LookupError as e:
                raise LabelFileError(f"{source}: {e} in the XML declaration") from None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as e:
        raise LabelFileError(f"{source}: bytes {e.start}-{e.end} do not decode as {encoding} "
                             f"({e.reason}); check the file's encoding declaration") from None
    return re.sub(r"^\s*<\?xml[^>]*?\?>", "", text, count=1, flags=re.DOTALL)


def parse_xml_file(path: str | Path) -> ET.Element:
    """Parse an XML file whatever encoding it declares; returns the root element.

    Raises:
        FileNotFoundError: no such file.
        LabelFileError: undecodable or malformed XML (with line and column).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"label file not found: {path}")
    text = decode_xml_bytes(path.read_bytes(), str(path))
    try:
        return ET.fromstring(text)
    except ET.ParseError as e:
        line, column = e.position
        raise LabelFileError(f"{path}: malformed XML at line {line}, column {column} ({e.msg}); "
                             "the file may be truncated or hand-edited") from None


def read_label_items(path: str | Path, required: Sequence[str] = ("imageName", "cameraID")
                     ) -> list[dict[str, str]]:
    """The attributes of every ``Item`` element of a label file, in file order.

    Args:
        path: ``train_label.xml``, ``query_label.xml``, ``test_label.xml`` (AIC21, VeRi) or the
            VehicleX simulation ``train_label.xml``.
        required: attributes each item must have.

    Raises:
        LabelFileError: malformed XML, no ``Item`` at all, or an item missing a required attribute.
    """
    root = parse_xml_file(path)
    items = [dict(el.attrib) for el in root.iter("Item")]
    if not items:
        raise LabelFileError(f"{path}: no <Item> element found; is this an AI City / VeRi label file?")
    for i, attrs in enumerate(items):
        missing = [a for a in required if a not in attrs]
        if missing:
            raise LabelFileError(f"{path}: Item {i} ({attrs.get('imageName', 'no imageName')}) lacks "
                                 f"attribute(s) {missing}")
    return items


def parse_camera_id(value: str, source: str = "") -> int:
    """``"c001"`` -> 1 (AI City / VeRi camera names); plain digits are accepted too."""
    match = re.fullmatch(r"[cC]?(\d+)", value.strip())
    if not match:
        raise LabelFileError(f"{source}: camera ID '{value}' is not of the form c001")
    return int(match.group(1))


def parse_vehicle_id(value: str, source: str = "") -> int:
    """``"0001"`` -> 1; ``"-1"`` (junk) stays -1."""
    try:
        return int(value)
    except ValueError:
        raise LabelFileError(f"{source}: vehicle ID '{value}' is not an integer") from None


def write_label_xml(path: str | Path, items: Iterable[Mapping[str, object]], root_tag: str,
                    encoding: str = "utf-8") -> Path:
    """Write ``<root_tag Version="1.0"><Items number=N><Item .../>...</Items></root_tag>``.

    ``encoding`` is both declared and used (``"gb2312"`` writes a file like VeRi's, encoded as gbk).
    """
    items = list(items)
    lines = [f'<?xml version="1.0" encoding="{encoding}"?>', f'<{root_tag} Version="1.0">',
             f'<Items number="{len(items)}">']
    for attrs in items:
        fields = " ".join(f'{k}="{_escape(str(v))}"' for k, v in attrs.items())
        lines.append(f"<Item {fields} />")
    lines += ["</Items>", f"</{root_tag}>", ""]
    with atomic_open(path, "wb") as f:
        f.write("\n".join(lines).encode(python_codec(encoding)))
    return Path(path)


def _escape(value: str) -> str:
    return (value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))
