"""``python -m gui`` opens the window, like ``action-tracker``."""

import sys

from gui.launch import main

sys.exit(main())
