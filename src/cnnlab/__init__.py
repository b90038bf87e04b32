"""cnnlab: the convolutional neural networks of Chapter 8, from their equations up.

The top level mirrors ``torch``, so PyTorch programs run with ``import cnnlab as torch``:
tensors and their factories, dtypes, ``device``, ``Generator``, grad modes, ``cuda`` (never
available), and the Tensor methods in function form (``cnnlab.cat``, ``cnnlab.max``, ...).
A ``torch`` name cnnlab does not have raises ``NotImplementedError`` naming it.
"""

import math as _math
from importlib import import_module as _import_module
from importlib.util import find_spec as _find_spec

from cnnlab import amp, backends, cuda, nn, optim, utils
from cnnlab.autograd import random
from cnnlab.autograd.anomaly import is_anomaly_check_nan_enabled, is_anomaly_enabled
from cnnlab.autograd.creation import (
    arange,
    as_tensor,
    asarray,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    logspace,
    ones,
    ones_like,
    tensor,
    zeros,
    zeros_like,
)
from cnnlab.autograd.devices import device
from cnnlab.autograd.einsum import einsum
from cnnlab.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from cnnlab.autograd.joining import cat, concat, concatenate, hstack, stack, vstack, where
from cnnlab.autograd.namespace import (
    FUNCTIONS,
    allclose,
    broadcast_shapes,
    broadcast_tensors,
    equal,
    is_floating_point,
    is_tensor,
    meshgrid,
    pow,
    std_mean,
    var_mean,
)
from cnnlab.autograd.printing import set_printoptions
from cnnlab.autograd.random import (
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)
from cnnlab.autograd.sampling import (
    bernoulli,
    normal,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
)
from cnnlab.autograd.size import Size
from cnnlab.autograd.tensor import Tensor
from cnnlab.autograd.types import (
    bfloat16,
    complex64,
    complex128,
    dtype,
    finfo,
    float16,
    float32,
    float64,
    get_default_dtype,
    iinfo,
    int8,
    int16,
    int32,
    int64,
    set_default_dtype,
    uint8,
)
from cnnlab.autograd.types import bool_ as bool
from cnnlab.compat import (
    BoolTensor,
    ByteTensor,
    DoubleTensor,
    FloatTensor,
    IntTensor,
    LongTensor,
    channels_last,
    compile,
    contiguous_format,
    missing,
    preserve_format,
    strided,
)
from cnnlab.ops import threads
from cnnlab.serialization import load, save
from cnnlab.utils.memory import keep_freed_memory

globals().update(FUNCTIONS)

float = float32
double = float64
half = float16
cfloat = complex64
cdouble = complex128
long = int64
int = int32
short = int16
pi, e, inf, nan = _math.pi, _math.e, _math.inf, _math.nan

__version__ = "0.1.0"

keep_freed_memory()


def set_num_threads(count) -> None:
    """Compute on ``count`` threads (as ``torch.set_num_threads``): the compiled kernels and the
    matrix products share them; NumPy's own BLAS threads are kept to one."""
    threads.set_num_threads(count)


def get_num_threads():
    """The number of threads the engine computes on."""
    return threads.get_num_threads()


def set_num_interop_threads(count) -> None:
    """Accepted: cnnlab runs one op at a time."""


def use_deterministic_algorithms(mode, *, warn_only=False) -> None:
    """Accepted: every cnnlab op is deterministic."""


def are_deterministic_algorithms_enabled():
    return True


def set_float32_matmul_precision(precision) -> None:
    """Accepted: float32 products are always computed in float32 (no TF32 on a CPU)."""


def __getattr__(name: str):
    # a subpackage not imported yet (cnnlab.onnx, cnnlab.vision) loads on first use, as torch.onnx
    if not name.startswith("_") and _find_spec(f"cnnlab.{name}") is not None:
        return _import_module(f"cnnlab.{name}")
    return missing(name, "cnnlab")
