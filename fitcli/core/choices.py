"""The names the core offers for its choices, without loading numpy (the command line's
help is built from them); tests tie each list to the implementations' registries."""

OPTIMIZER_NAMES = ("lm", "gd", "momentum", "adam")  # "lm", then core.optimizers.OPTIMIZERS
ROBUST_METHODS = ("none", "huber", "cauchy", "ransac")  # core.robust_fit.METHODS
ENGINE_NAMES = ("memory", "stream", "dask")  # memory: core.fit; the others: core.engines
