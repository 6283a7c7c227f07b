"""``python -m streamscope.bench``: the same as ``streamscope bench``."""

import sys

from streamscope.bench.cli import main

sys.exit(main())
