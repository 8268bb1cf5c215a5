import sys

from tdmm_lm.cli import main

sys.exit(main())
