"""The plugins bundled with synth-host, registered through the same entry points as any third party's."""
