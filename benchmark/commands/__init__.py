"""The suite's commands, one module each (``python -m benchmark.commands.<name>``): every module
here has a ``main`` and is a leaf, imported by no library module and no other command.  What they
share lives in the library modules of :mod:`benchmark` and :mod:`models`."""
