"""``python -m controlroom.cli`` runs the same command as ``controlroom``."""

from controlroom.cli import main

main()
