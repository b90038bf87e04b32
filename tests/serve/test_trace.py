"""The tracer records every leaf module's call through forward hooks: in the order they ran, a
second call of one module named ``:2``, an in-place layer's input as it was before the call,
and a branching model (ResNet) as well as a sequential one."""

import numpy as np

import cnnlab
from cnnlab.models import build
from cnnlab.serve.trace import Tracer


def test_calls_in_order_with_repeated_and_in_place_layers():
    nn = cnnlab.nn
    relu = nn.ReLU(inplace=True)
    model = nn.Sequential(nn.Linear(3, 4), relu, nn.Linear(4, 4), relu)
    x = cnnlab.tensor([[1.0, -2.0, 3.0]])
    tracer = Tracer(model)
    with cnnlab.no_grad():
        output, calls = tracer.run(x)
    assert [c.name for c in calls] == ["0", "1", "2", "1:2"]
    assert [c.kind for c in calls] == ["Linear", "ReLU", "Linear", "ReLU"]
    linear_out = calls[0].output
    np.testing.assert_array_equal(calls[1].input, linear_out)  # copied before the in-place ReLU
    np.testing.assert_array_equal(calls[1].output, np.maximum(linear_out, 0))
    np.testing.assert_array_equal(calls[-1].output, output.numpy())
    assert calls[2].input_id == calls[1].output_id


def test_a_resnet_is_traced_through_its_blocks_and_hooks_come_off():
    model = build("resnet", seed=0)
    model.eval()
    tracer = Tracer(model)
    x = cnnlab.zeros(1, 1, 28, 28)
    with cnnlab.no_grad():
        _, calls = tracer.run(x)
        names = [c.name for c in calls]
        assert names[:4] == ["stem.0", "stem.1", "stem.2", "stem.3"]
        block = names.index("stage2.0.conv1")
        assert names[block : block + 5] == [
            "stage2.0.conv1",
            "stage2.0.bn1",
            "stage2.0.conv2",
            "stage2.0.bn2",
            "stage2.0.conv3",
        ]
        assert calls[-1].name == "fc" and calls[-1].output.shape == (1, 10)
        assert tracer.run(x)[1][0].name == "stem.0"  # a second pass starts afresh
        tracer.remove()
        model(x)
    assert tracer.calls is None
