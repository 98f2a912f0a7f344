"""Files in and out: CSV tables in (file, line and column in every message), CSV out,
atomic writes, model files.  Knows no command and no report."""
