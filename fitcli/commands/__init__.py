"""One module per command (fit: the three model fits; synth, predict, gradcheck), the
options each declares once (options) and the error handling they share (shared).  Each
module's `register(app)` adds its command to the app; only the composition root (cli)
calls them."""
