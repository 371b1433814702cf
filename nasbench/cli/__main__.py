"""`python -m nasbench.cli`: the `nasbench` command."""
import sys

from . import main

if __name__ == "__main__":
    sys.exit(main())
