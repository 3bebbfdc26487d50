"""Neural capture: an excitation signal, pair alignment, and training a capture network on a dry/wet pair."""
