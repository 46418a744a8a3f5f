"""``python -m cigen``: the same command line as the ``cigen`` console script."""

from cigen.cli import main

main()
