"""Subcommands beyond the three fits; each module registers its command on the app."""
