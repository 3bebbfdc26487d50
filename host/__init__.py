"""synth-host: discovery, chains, streaming rendering and the CLI."""

__version__ = "0.1.0"
