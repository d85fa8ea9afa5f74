"""Checkpoint converters from official releases to this package's module layout."""
from .damoyolo_official import official_key_map
from .convert_state_dict import convert_official_state_dict, to_official_state_dict

__all__ = ['convert_official_state_dict', 'official_key_map', 'to_official_state_dict']
