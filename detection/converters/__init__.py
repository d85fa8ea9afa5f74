"""Checkpoint converters from official releases to this package's module layout."""
from .convert_state_dict import (ConversionError, convert_official_state_dict, official_key_map,
                                 official_weights, to_official_state_dict)

__all__ = ['ConversionError', 'convert_official_state_dict', 'official_key_map', 'official_weights',
           'to_official_state_dict']
