"""``nn.utils``: gradient clipping and flattening parameters to one vector."""

from cnnlab.autograd.errors import missing_in
from cnnlab.nn.utils.clip_grad import clip_grad_norm_, clip_grad_value_
from cnnlab.nn.utils.convert_parameters import parameters_to_vector, vector_to_parameters

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters"]

# a torch name this module does not have raises NotImplementedError naming it
__getattr__ = missing_in("cnnlab.nn.utils")
