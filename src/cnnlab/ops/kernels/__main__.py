"""``python -m cnnlab.ops.kernels DTYPE:MODULE:NAME ...``: compile kernels into the cache (the
background compilation of ``compiling.py`` runs this)."""

import sys

from cnnlab.ops.kernels.compiling import compile_named

for spec in sys.argv[1:]:
    compile_named(spec)
