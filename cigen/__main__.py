"""``python -m cigen``."""

from cigen.cli import main

main()
