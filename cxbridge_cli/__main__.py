"""``python -m cxbridge_cli`` is the ``cxbridge`` command."""

import sys

from cxbridge_cli.main import main

sys.exit(main())
