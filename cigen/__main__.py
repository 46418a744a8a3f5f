"""``python -m cigen``."""

from cigen.launcher import main

main()
