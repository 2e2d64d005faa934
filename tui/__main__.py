"""``python -m nnbench.tui``: the same as the ``nnbench`` command."""

import sys

from nnbench.tui.main import main

sys.exit(main())
