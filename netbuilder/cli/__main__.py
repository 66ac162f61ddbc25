"""`python -m netbuilder.cli ...`: the same commands as `netbuilder ...` and `python -m netbuilder ...`."""
import sys

from .commands import main

sys.exit(main())
