"""Block Kit builders: pure functions from the workflows' results to Slack blocks, one module
per surface over the primitives of ``kit``."""
