"""Test settings: hypothesis profiles and the report of the largest errors against PyTorch."""

import os

import torch  # the reference: a missing torch must fail the suite, never skip it
from hypothesis import HealthCheck, settings

import cnnlab
from reference import LARGEST_ERRORS

# Kernels compile in the foreground: a test of a kernel must run the kernel, not the NumPy
# reference that serves while it compiles in the background.
os.environ.setdefault("CNNLAB_BACKGROUND_COMPILE", "0")

settings.register_profile(
    "default",
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)
settings.register_profile(
    "thorough",
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
# One thread per engine: the test workers already share the cores.
torch.set_num_threads(1)
cnnlab.set_num_threads(1)


def pytest_terminal_summary(terminalreporter) -> None:
    if not LARGEST_ERRORS:
        return
    terminalreporter.section("largest relative errors against PyTorch")
    for name in sorted(LARGEST_ERRORS):
        terminalreporter.write_line(f"{name:<48} {LARGEST_ERRORS[name]:.2e}")
