"""The report: the record of a fit built once (record), its JSON (document) and tables
(tables) as two renderings, the one console that writes stdout and stderr (console), the
per-point file (pointfile) and the plot (plot)."""
