"""Two Peaks Control Room: the composition root, settings and command-line interface.

The layers live beside this package: ``bot`` → ``workflows`` → ``agents`` → ``integrations``;
``policies`` and ``prompts`` are data, each read by one loader.
"""
