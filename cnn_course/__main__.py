"""Allow `python -m cnn_course demo`."""

import sys

from cnn_course.cli import main

sys.exit(main())
