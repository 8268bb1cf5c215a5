import sys

from tdmm_lm.cli import main

if __name__ == "__main__":   # the quickstart's worker processes re-import this module
    sys.exit(main())
