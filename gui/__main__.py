"""``python -m gui`` opens the window, like ``action-tracker``."""

import sys

from gui.app import main

sys.exit(main())
