"""Label files: declared encodings (VeRi's gb2312), malformed XML and missing attributes."""
import codecs

import pytest

from reid_aicity.label_xml import (LabelFileError, decode_xml_bytes, parse_camera_id, read_label_items,
                                   write_label_xml)

VERI_LIKE = ('<?xml version="1.0" encoding="gb2312"?>\n<TrainingImages Version="1.0">\n<Items number="2">\n'
             '<Item imageName="0001_c001_00016450_0.jpg" vehicleID="0001" cameraID="c001" colorID="1" '
             'typeID="4" note="\u8f66\u8f86" />\n'
             '<Item imageName="0002_c014_00034240_1.jpg" vehicleID="0002" cameraID="c014" colorID="2" '
             'typeID="4" note="\u6d4b\u8bd5" />\n</Items>\n</TrainingImages>\n')


def test_gb2312_declaration_parses(tmp_path):
    path = tmp_path / "train_label.xml"
    path.write_bytes(VERI_LIKE.encode("gb2312"))
    import xml.etree.ElementTree as ET
    with pytest.raises(ValueError, match="multi-byte"):  # what Python's parser alone does
        ET.fromstring(path.read_bytes())
    items = read_label_items(path, required=("imageName", "vehicleID", "cameraID"))
    assert [i["vehicleID"] for i in items] == ["0001", "0002"]
    assert items[0]["note"] == "\u8f66\u8f86"  # the Chinese text survives the decoding
    assert parse_camera_id(items[1]["cameraID"]) == 14


def test_bom_and_undeclared_utf8():
    assert decode_xml_bytes(codecs.BOM_UTF8 + b'<?xml version="1.0"?><a/>') == "<a/>"
    assert decode_xml_bytes("<a n='\u00e9'/>".encode()) == "<a n='\u00e9'/>"


def test_malformed_xml_names_file_and_position(tmp_path):
    path = tmp_path / "test_label.xml"
    path.write_text('<?xml version="1.0" encoding="utf-8"?>\n<Items>\n<Item imageName="a.jpg" cameraID="c001">\n'
                    "</Items>\n")
    with pytest.raises(LabelFileError, match=r"test_label\.xml: malformed XML at line 4"):
        read_label_items(path)


def test_undecodable_bytes_and_unknown_encoding_name_the_file(tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b'<?xml version="1.0" encoding="utf-8"?><Items><Item imageName="\xff\xfe"/></Items>')
    with pytest.raises(LabelFileError, match=r"bad\.xml: bytes .* do not decode as utf-8"):
        read_label_items(bad)
    odd = tmp_path / "odd.xml"
    odd.write_bytes(b'<?xml version="1.0" encoding="klingon-8"?><Items/>')
    with pytest.raises(LabelFileError, match=r"odd\.xml: unknown encoding 'klingon-8'"):
        read_label_items(odd)


def test_missing_attribute_and_missing_file(tmp_path):
    path = tmp_path / "query_label.xml"
    write_label_xml(path, [{"imageName": "000001.jpg"}], "QueryImages")
    message = r"query_label\.xml: Item 0 \(000001\.jpg\) lacks attribute\(s\) \['cameraID'\]"
    with pytest.raises(LabelFileError, match=message):
        read_label_items(path)
    with pytest.raises(FileNotFoundError, match="nothing.xml"):
        read_label_items(tmp_path / "nothing.xml")
    with pytest.raises(LabelFileError, match="not of the form c001"):
        parse_camera_id("cam7", "x.xml")


def test_write_then_read_round_trip_in_gb2312(tmp_path):
    items = [{"imageName": "000001.jpg", "vehicleID": "0007", "cameraID": "c041", "orientation": "12.5"}]
    path = write_label_xml(tmp_path / "l.xml", items, "TrainingImages", encoding="gb2312")
    assert path.read_bytes().startswith(b'<?xml version="1.0" encoding="gb2312"?>')
    assert read_label_items(path) == items
