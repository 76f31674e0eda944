"""--device strings and the AMP setting."""

from __future__ import annotations

import pytest
import torch

from seminal.training import autocast_dtype, resolve_device


def test_cpu_and_auto() -> None:
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device(" CPU ") == torch.device("cpu")
    assert resolve_device(torch.device("cpu")) == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected


@pytest.mark.parametrize("spec", ["gpu", "cuda0", "cuda:x", "tpu", ""])
def test_unknown_device_strings(spec: str) -> None:
    with pytest.raises(ValueError, match=r"Invalid device .* \(expected 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'\)"):
        resolve_device(spec)


def test_wrong_type() -> None:
    with pytest.raises(TypeError, match=r"Invalid device: expected a str or torch.device, got int"):
        resolve_device(0)  # type: ignore[arg-type]


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error raised when CUDA is absent")
@pytest.mark.parametrize("spec", ["cuda", "cuda:0"])
def test_cuda_requested_but_absent(spec: str) -> None:
    with pytest.raises(RuntimeError, match=r"CUDA was requested but is not available .* use --device cpu or --device auto"):
        resolve_device(spec)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_cuda_index_out_of_range() -> None:
    with pytest.raises(RuntimeError, match=r"index 99 but only \d+ CUDA device"):
        resolve_device("cuda:99")
    assert resolve_device("cuda").type == "cuda"


def test_amp_dtype() -> None:
    cpu, cuda = torch.device("cpu"), torch.device("cuda", 0)
    assert autocast_dtype(None, cuda) is None and autocast_dtype(False, cuda) is None
    assert autocast_dtype(True, cuda) == torch.float16 and autocast_dtype("fp16", cuda) == torch.float16
    assert autocast_dtype(True, cpu) is None  # float16 autocast is off on the CPU
    assert autocast_dtype("bf16", cpu) == torch.bfloat16 and autocast_dtype("bf16", cuda) == torch.bfloat16
    with pytest.raises(ValueError, match=r"Invalid amp setting 'fp8'"):
        autocast_dtype("fp8", cuda)
