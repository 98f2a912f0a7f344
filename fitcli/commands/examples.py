"""The examples at the end of each command's --help, and the exit codes at the end of
`fitcli --help`: plain text, kept as written (click's \\b keeps a paragraph unwrapped)."""

from __future__ import annotations

EXAMPLES: dict[str, list[tuple[str, str]]] = {
    "project3d": [
        ("fitcli project3d data/project3d.csv", "the camera, the fit's quality, the matrix"),
        ("fitcli project3d data/project3d.csv --sigma 0.5 -v",
         "test the residual against a known noise; every table"),
        ("fitcli project3d views/*.csv --json > fits.jsonl", "one JSON line per file"),
        ("fitcli project3d pts.csv --robust ransac --threshold 2 -o cam.json",
         "outliers; save the model"),
        ("fitcli project3d pts.csv --plot fit.png --residuals res.csv", "a plot; per-point errors"),
    ],
    "ratio2d": [
        ("fitcli ratio2d data/ratio2d.csv", "the map, the fit's quality"),
        ("fitcli ratio2d pts.csv --sigma 0.2 --max-rms 1", "a noise test and a CI gate"),
        ("fitcli ratio2d pts.csv --columns px,py,r -o map.json", "other column names; save"),
    ],
    "linear-tanh": [
        ("fitcli linear-tanh data/linear_tanh.csv", "the line, its accuracy, the confusion"),
        ("fitcli linear-tanh pts.csv --loss cross-entropy --form general",
         "logistic regression"),
        ("fitcli linear-tanh pts.csv --positive yes -o line.json", "labels yes/no; save"),
    ],
    "synth": [
        ("fitcli synth project3d --n 300 --noise 0.5 -o pts.csv --truth truth.json",
         "sample points and their model"),
        ("fitcli synth linear-tanh --gap 0.5 | fitcli linear-tanh -", "a separable sample, fitted"),
    ],
    "predict": [
        ("fitcli predict cam.json new.csv > uv.csv", "predictions as CSV"),
        ("fitcli predict cam.json held_out.csv -o uv.csv --metrics m.json",
         "the error on held-out points"),
    ],
    "gradcheck": [
        ("fitcli gradcheck project3d", "on synthetic points"),
        ("fitcli gradcheck ratio2d data/ratio2d.csv --points 10 --json", "on a file, as JSON"),
    ],
    "completion": [
        ('eval "$(fitcli completion bash)"', "bash: in ~/.bashrc"),
        ('eval "$(fitcli completion zsh)"', "zsh: in ~/.zshrc"),
        ("fitcli completion fish > ~/.config/fish/completions/fitcli.fish", "fish"),
    ],
}

EXIT_CODES = [
    ("0", "success: the fit converged and passed its gates"),
    ("1", "a crash (a bug in fitcli; please report it)"),
    ("2", "a usage error, or input that cannot be read"),
    ("3", "the data cannot determine the model"),
    ("4", "the fit did not converge (the result is still printed)"),
    ("5", "a quality gate failed (--max-rms, --min-inliers, --require-converged)"),
    ("6", "gradcheck: a gradient failed the check"),
    ("130", "interrupted (Ctrl-C)"),
]


def _block(title: str, rows: list[tuple[str, str]], width: int) -> str:
    lines = [f"  {a:<{width}}  {b}" if len(a) <= width else f"  {a}\n  {'':<{width}}  {b}"
             for a, b in rows]
    return f"\b\n{title}:\n" + "\n".join(lines)


def epilog(command: str) -> str:
    """The examples of `command` (a fit command's name is its model's), for its --help."""
    rows = EXAMPLES.get(command, [])
    if not rows:
        return ""
    return "\b\nExamples:\n" + "\n".join(f"  {a}\n      {b}" for a, b in rows)


def exit_codes() -> str:
    """The exit codes, for the top-level --help; several files: the highest code."""
    return _block("Exit codes (several files: the highest of their codes)", EXIT_CODES, 3) + \
        "\n\n\b\nMore: fitcli COMMAND -h; docs/usage.md; shell completion: fitcli completion -h"
