"""Bad arguments to the data layer give one clear error naming the argument; `seminal data` works."""

from __future__ import annotations

from pathlib import Path

import pytest

from seminal.data import find_mnist_dir, get_spec, load_mnist
from tests.data.idx_files import write_dataset


@pytest.mark.parametrize("dataset", ["cifar", "MNIST", "", None, 3, ["mnist"]])
def test_unknown_dataset_names_the_argument(dataset) -> None:
    with pytest.raises(ValueError, match=r"dataset must be one of \['fashion-mnist', 'kmnist', 'mnist'\], got"):
        load_mnist(dataset)
    with pytest.raises(ValueError, match="dataset must be one of"):
        get_spec(dataset)


def test_a_data_dir_that_does_not_exist_is_refused_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such"
    with pytest.raises(ValueError, match=r"data_dir='.*/no/such' does not exist"):
        load_mnist(data_dir=missing)
    assert not (tmp_path / "no").exists()


def test_a_data_dir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    a_file = tmp_path / "train-images-idx3-ubyte.gz"
    a_file.write_bytes(b"")
    with pytest.raises(ValueError, match=r"data_dir='.*train-images-idx3-ubyte\.gz' is a file, not a folder"):
        load_mnist(data_dir=a_file)


@pytest.mark.parametrize("data_dir", [3, b"/tmp", ""])
def test_a_data_dir_of_the_wrong_type_is_refused(data_dir) -> None:
    with pytest.raises(TypeError, match="data_dir must be a folder path"):
        load_mnist(data_dir=data_dir)


@pytest.mark.parametrize("flag", ["download", "allow_fallback", "progress"])
def test_flags_must_be_booleans(flag: str) -> None:
    with pytest.raises(TypeError, match=rf"{flag} must be True or False, got 'no'"):
        load_mnist(**{flag: "no"})


def test_a_seminal_data_dir_that_does_not_exist_is_an_error_not_skipped(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SEMINAL_DATA_DIR", str(tmp_path / "typo"))
    with pytest.raises(ValueError, match=r"SEMINAL_DATA_DIR='.*typo' is not an existing folder"):
        load_mnist()
    with pytest.raises(ValueError, match="SEMINAL_DATA_DIR"):
        find_mnist_dir()


def test_cli_data_reports_the_dataset(tmp_path: Path, small_mnist_spec, capsys) -> None:
    from seminal.cli import main

    write_dataset(tmp_path / "MNIST" / "raw")
    assert main(["data", "--dataset", "mnist", "--data-dir", str(tmp_path)]) == 0
    assert "mnist: 30 training / 12 test images (files:" in capsys.readouterr().out


def test_cli_data_with_a_missing_folder_is_one_clear_line(tmp_path: Path, capsys) -> None:
    from seminal.cli import main

    assert main(["data", "--dataset", "kmnist", "--data-dir", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("seminal data: error: data_dir=") and "does not exist" in err and "Traceback" not in err


def test_cli_data_refuses_an_altered_file_naming_it(tmp_path: Path, small_mnist_spec, capsys) -> None:
    import gzip

    from seminal.cli import main
    from tests.data.idx_files import alter_one_pixel, payloads

    raw = tmp_path / "MNIST" / "raw"
    write_dataset(raw)
    altered = alter_one_pixel(payloads()["train-labels-idx1-ubyte"], 9)
    (raw / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(altered))
    assert main(["data", "--data-dir", str(tmp_path)]) == 2
    assert "train-labels-idx1-ubyte.gz: decoded labels differ from the published mnist file" in capsys.readouterr().err


def test_importing_the_data_errors_imports_neither_torch_nor_torchvision() -> None:
    # The CLI imports these for every command, `seminal --help` included.
    import subprocess
    import sys

    code = ("import sys; from seminal.data import DataFileError, DataUnavailableError, DownloadError; "
            "print(sorted(m for m in ('torch', 'torchvision') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={"PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src"), "PATH": "/usr/bin:/bin"})
    assert done.stdout.strip() == "[]"
