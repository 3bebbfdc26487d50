"""``python -m host`` runs the ``synth-host`` command line."""

import sys

from host.cli import main

sys.exit(main())
