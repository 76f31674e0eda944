"""A table of bad command lines: each must end with one line naming the argument (exit code 2).

``{tmp}`` is a scratch folder; ``{file}`` a plain file in it; ``{gen}`` a valid generator.pt;
``{evil}`` a generator file whose pickle would run code. Runs use ``--preset smoke`` so that a
command the CLI fails to refuse ends in seconds instead of training for hours.
"""

from __future__ import annotations

SMOKE = ["--preset", "smoke", "--device", "cpu", "--no-progress", "--out", "{tmp}/run"]

#: (command line, text the error line must contain -- the argument's name)
BAD_INPUTS: list[tuple[list[str], str]] = [
    (["run", "adam-nope"], "experiment"),
    (["run"], "experiment"),
    (["run", "adam-fig1", *SMOKE, "--set", "epochs"], "--set"),
    (["run", "adam-fig1", *SMOKE, "--set", "nope=1"], "nope"),
    (["run", "adam-fig1", *SMOKE, "--set", "=1"], "--set"),
    (["run", "adam-fig1", *SMOKE, "--set", "epochs=abc"], "epochs"),
    (["run", "adam-fig1", *SMOKE, "--set", "epochs=1.5"], "epochs"),
    (["run", "adam-fig1", *SMOKE, "--set", "grid_search=maybe"], "grid_search"),
    (["run", "adam-fig1", *SMOKE, "--set", "lrs=0.1"], "lrs"),
    (["run", "adam-fig1", *SMOKE, "--set", "lr_grid=adam"], "lr_grid"),
    (["run", "adam-fig1", *SMOKE, "--set", "l2=nan"], "l2"),
    (["run", "adam-fig1", *SMOKE, "--set", "l2=inf"], "l2"),
    (["run", "adam-fig1", *SMOKE, "--set", "lrs={'adam': float('nan')}"], "lrs"),
    (["run", "adam-fig1", *SMOKE, "--set", "lrs=adam:nan,sgd_nesterov:1,adagrad:0.1"], "lrs"),
    (["run", "adam-fig1", *SMOKE, "--set", "methods=adam,nope"], "methods"),
    (["run", "adam-fig1", *SMOKE, "--set", "epochs=-3"], "epochs"),
    (["run", "adam-fig1", *SMOKE, "--set", "batch_size=0"], "batch_size"),
    (["run", "adam-fig1", *SMOKE, "--set", "train_limit=-5"], "train_limit"),
    (["run", "adam-fig1", *SMOKE, "--set", "train_limit=many"], "train_limit"),
    (["run", "stn-table1", *SMOKE, "--set", "lr=-inf"], "lr"),
    (["run", "gan-fig1", *SMOKE, "--set", "lr=1e400"], "lr"),
    (["run", "adam-fig1", *SMOKE, "--seed", "-1"], "--seed"),
    (["run", "adam-fig1", *SMOKE, "--seed", str(2**63)], "--seed"),
    (["run", "adam-fig1", *SMOKE, "--seed", "abc"], "--seed"),
    (["run", "adam-fig1", *SMOKE, "--device", "tpu"], "--device"),
    (["run", "adam-fig1", *SMOKE[:2], "--device", "cuda", *SMOKE[4:]], "--device"),
    (["run", "adam-fig1", *SMOKE[:2], "--device", "cuda:3", *SMOKE[4:]], "--device"),
    (["run", "adam-fig1", *SMOKE[:2], "--device", "mps", *SMOKE[4:]], "--device"),
    (["run", "adam-fig1", "--preset", "nope", "--out", "{tmp}/run"], "--preset"),
    (["run", "adam-fig1", "--quick", "--preset", "smoke", "--out", "{tmp}/run"], "--preset"),
    (["run", "adam-fig1", *SMOKE, "--dataset", "cifar"], "--dataset"),
    (["run", "adam-fig1", *SMOKE, "--amp", "fp8"], "--amp"),
    (["run", "adam-fig1", *SMOKE[:-2], "--resume", "--out", "{tmp}/nonexistent"], "--resume"),
    (["run", "adam-fig1", *SMOKE[:-2], "--resume", "--out", "{tmp}"], "--resume"),
    (["run", "adam-fig1", *SMOKE[:-2], "--out", "{file}"], "--out"),
    (["run", "adam-fig1", *SMOKE[:-2], "--out", "{file}/sub"], "--out"),
    (["run", "adam-fig1", *SMOKE, "--bogus"], "--bogus"),
    (["run", "adam-fig1", *SMOKE, "--epochs", "2.5"], "--epochs"),
    (["run", "adam-fig1", *SMOKE, "--l2", "nan"], "--l2"),
    (["reproduce", "vae"], "paper"),
    (["reproduce", "--preset", "nope", "--out", "{tmp}/rep"], "--preset"),
    (["reproduce", "--seed", "-4"], "--seed"),
    (["sample"], "--checkpoint"),
    (["sample", "--checkpoint", "{tmp}/missing.pt"], "missing.pt"),
    (["sample", "--checkpoint", "{gen}", "-n", "1000000000"], "num-samples"),
    (["sample", "--checkpoint", "{gen}", "-n", "0"], "num-samples"),
    (["sample", "--checkpoint", "{gen}", "-n", "abc"], "-n"),
    (["sample", "--checkpoint", "{gen}", "--out", "{file}"], "--out"),
    (["sample", "--checkpoint", "{gen}", "--seed", "-5"], "--seed"),
    (["sample", "--checkpoint", "{gen}", "--nrow", "0"], "--nrow"),
    (["sample", "--checkpoint", "{evil}"], "evil.pt was refused by torch.load(weights_only=True)"),
    (["data", "--dataset", "nope"], "--dataset"),
    (["frobnicate"], "COMMAND"),
]
