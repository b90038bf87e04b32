"""``cnnlab serve``: a local web page to draw a digit and watch the network think.

The page shows the prediction as you draw, the 28x28 image the network sees (made the way
MNIST digits were made), every conv/activation/pool layer's feature maps and each conv layer's
filters, the chapter's equation for any clicked cell with its receptive field on the input, and
the training runs under ``./runs``. It is served by a Starlette app on uvicorn (the ``serve``
extra) from the NumPy engine.

Example:
    >>> from cnnlab.serve import serve
    >>> serve("runs/lenet5-mnist5k-20240101-120000", port=8000)  # doctest: +SKIP
"""

from cnnlab.serve.server import resolve_checkpoint, serve

__all__ = ["resolve_checkpoint", "serve"]
