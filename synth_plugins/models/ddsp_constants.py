"""Rates and frame sizes of the DDSP voices, importable without torch (plugins read them at discovery)."""

RATE = 22050
HOP = 256  # one control frame per 11.6 ms
LOUD_WINDOW = 1024
FLOOR_DB = -80.0
