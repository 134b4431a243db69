"""``python -m picover``: the command line."""

from picover.cli import main

main()
