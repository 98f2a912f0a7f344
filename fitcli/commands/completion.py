"""`fitcli completion SHELL`: print the shell's completion script (bash, zsh, fish).

The script asks fitcli for the completions of the words typed so far (through the
_FITCLI_COMPLETE variable, which the composition root hands to Typer's completion); it
costs nothing to commands run without it, and `fitcli --help` does not load it.
"""

import enum
from typing import Annotated

import typer

from ..report import console
from .examples import epilog

COMPLETE_VAR = "_FITCLI_COMPLETE"
Shell = enum.Enum("Shell", {s: s for s in ("bash", "zsh", "fish")}, type=str)
DOC = """Print the shell completion script for bash, zsh or fish.

    Load it in the shell's start-up file (see the examples); then TAB completes the
    commands, their options and the choices of options such as --robust.
    """


def register(app: typer.Typer) -> None:
    def completion(shell: Annotated[Shell, typer.Argument(metavar="SHELL", help="bash, zsh or fish.",
                                                          show_default=False)]) -> None:
        from typer._completion_shared import (
            get_completion_script,  # typer < 0.29 (pinned)
        )

        console.write_text(get_completion_script(prog_name="fitcli", complete_var=COMPLETE_VAR,
                                                 shell=shell.value) + "\n")

    completion.__doc__ = DOC
    app.command("completion", short_help="Print the shell completion script (bash, zsh, fish)",
                epilog=epilog("completion"))(completion)


def prepare(environ) -> None:
    """Before the app runs: when the shell asks for completions, install Typer's
    completion classes, which read the words the scripts above pass."""
    if environ.get(COMPLETE_VAR):
        from typer._completion_classes import completion_init

        completion_init()
