"""Compiled loops (numba) for the hot paths: im2col/col2im, direct convolution, pooling, batch
norm, ReLU.

Each kernel computes exactly what its NumPy reference in ``conv.py``, ``pool.py``, ``norm.py``
or ``activation.py`` computes; the tests hold them equal. ``compiling.py`` says how and when
they are compiled, and where the machine code is cached.
"""

from cnnlab.ops.kernels.batchnorm import batch_norm_train, batch_norm_train_backward
from cnnlab.ops.kernels.columns import col2im, im2col
from cnnlab.ops.kernels.compiling import NotCompiledYet, compile_all, compiling_in_background
from cnnlab.ops.kernels.direct import (
    conv_forward,
    conv_input_grad,
    conv_weight_grad,
    padded_channel_major,
)
from cnnlab.ops.kernels.elementwise import relu, relu_backward
from cnnlab.ops.kernels.pooling import avg_pool, avg_pool_backward, max_pool, max_pool_backward
