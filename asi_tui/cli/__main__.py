"""`python -m asi_tui.cli`: the same as the `asi-tui` command."""

import sys

from . import main

sys.exit(main())
