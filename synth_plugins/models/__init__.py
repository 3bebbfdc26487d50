"""Model definitions (torch ``nn.Module``), kept apart from plugin adapters and training scripts."""
