"""Training-side code: the local corpus builder, augmentation, the training loop and evaluation.

Plugins never import this package; it is for building and measuring the shipped weights.
"""
