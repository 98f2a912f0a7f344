"""Several input files in one run (`fitcli project3d views/*.csv`): the output file of
each (-o, --residuals, --plot), from a folder or a pattern, and the exit code of the
run.  The fits themselves run one by one, each as a run on one file would.

With several files, an output option takes a pattern with {stem} (the input's file name
without its extension) or {name} (with it), or an existing folder, in which each input
gets `<stem><suffix>`; a plain file name is refused, since every fit would overwrite it.
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Any

from ..errors import EXIT_INTERRUPTED, FitcliError, UsageError

SUFFIXES = {"output": ".json", "residuals": ".residuals.csv", "plot": ".png"}
FLAGS = {"output": "-o", "residuals": "--residuals", "plot": "--plot"}


def stem(path: str) -> str:
    """The input's name without its folder and extension (stdin: "stdin")."""
    if path == "-":
        return "stdin"
    return os.path.splitext(os.path.basename(path))[0] or os.path.basename(path)


def named(value: str, flag: str, path: str, suffix: str) -> str:
    """The output for input `path`: the pattern filled in, or `<folder>/<stem><suffix>`.

    Raises:
        UsageError: neither a pattern nor a folder.
    """
    if "{stem}" in value or "{name}" in value:
        name = "stdin" if path == "-" else os.path.basename(path)
        try:
            return value.format(stem=stem(path), name=name)
        except (KeyError, IndexError, ValueError):
            raise UsageError(f"{flag} {value}: a pattern may use only {{stem}} and {{name}}") from None
    if os.path.isdir(value) or value.endswith(os.sep):
        if not os.path.isdir(value):
            raise UsageError(f"{flag} {value}: the folder does not exist")
        return os.path.join(value, stem(path) + suffix)
    example = f"{flag} out/{{stem}}{suffix}"
    raise UsageError(f"{flag} {value}: with several input files, {flag} needs a folder or a "
                     f"pattern with {{stem}} (e.g. {example}), or every fit would overwrite it")


def per_file(options: Any, files: list[str]) -> list[Any]:
    """One options record per input file, with its own output names.

    Raises:
        UsageError: standard input twice, `-o -` with several files, an output option
            that is neither a folder nor a pattern, or two inputs writing one output.
    """
    if len(files) == 1:
        return [replace(options, file=files[0])]
    if files.count("-") > 1:
        raise UsageError("standard input (-) can be read only once")
    if options.output == "-":
        raise UsageError("-o - writes one model to stdout; with several input files give a "
                         "folder or a pattern (-o out/{stem}.json)")
    records, taken = [], {}
    for number, path in enumerate(files, 1):
        outputs = {}
        for field, suffix in SUFFIXES.items():
            value = getattr(options, field)
            if value is None:
                continue
            out = named(value, FLAGS[field], path, suffix)
            if out in taken:
                raise UsageError(f"{FLAGS[field]}: {taken[out]} and {path} would both write {out}")
            taken[out] = path
            outputs[field] = out
        records.append(replace(options, file=path, several=number, **outputs))
    return records


def run_several(card, records: list[Any], fit_one) -> int:
    """Fit each record's file with `fit_one(record) -> report`, an error in one reported
    (on stderr, and as a JSON line with --json) and the next file fitted; stop after an
    interrupted one.  Returns the run's exit code: the highest of the files' codes."""
    codes = []
    for o in records:
        codes.append(_one(card, o, fit_one))
        if codes[-1] == EXIT_INTERRUPTED:
            break
    return max(codes)


def _one(card, o, fit_one) -> int:
    import typer

    from ..report import console
    from .shared import reported_errors

    source = "<stdin>" if o.file == "-" else o.file
    try:
        with reported_errors(o.debug), console.about_file(source):
            try:
                return fit_one(o).verdict.exit_code
            except FitcliError as exc:
                if o.json_output:
                    console.write_json_line({"input": source, "model": card.name,
                                             "error": console.said(str(exc)),
                                             "exit_code": exc.exit_code})
                raise
    except typer.Exit as exc:
        return exc.exit_code


def shared_name(source: str) -> str:
    """The input as a model file records it: a relative path as given; an absolute one
    relative to the current folder if it lies below it, else its file name alone (a
    model file is shared: it should not carry a machine's folders)."""
    if not os.path.isabs(source):
        return source
    relative = os.path.relpath(source)
    return os.path.basename(source) if relative.startswith(os.pardir) else relative
