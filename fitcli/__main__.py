"""`python -m fitcli` runs the command-line application."""

from .cli import main

main()
