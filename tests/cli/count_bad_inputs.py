"""Count the bad command lines of ``bad_inputs.py`` that end in a clear error, for any source tree.

    python tests/cli/count_bad_inputs.py <tree>     # <tree>/src holds the seminal to judge

Each case runs ``python -m seminal`` in a subprocess with ``PYTHONPATH=<tree>/src``. "Clear" here
is lenient, so that older code can be measured with the same rule: a non-zero exit code, no
traceback, and the argument's name on an error line. (The test suite asks more: exit code 2 and
exactly one line.) Run on the code before the CLI rework it takes many minutes, since commands
it fails to refuse train their smoke preset.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

import torch  # noqa: E402

from tests.cli.bad_inputs import BAD_INPUTS  # noqa: E402
from tests.cli.conftest import CodeRunningPayload, write_generator  # noqa: E402

tree = sys.argv[1]
clear = 0
rows = []
for argv, name in BAD_INPUTS:
    tmp = Path(tempfile.mkdtemp())
    (tmp / "notes.txt").write_text("x")
    gen = write_generator(tmp / "gan" / "generator.pt")
    torch.save({"format": "seminal.gan.generator", "payload": CodeRunningPayload()}, tmp / "evil.pt")
    sc = {"tmp": str(tmp), "file": str(tmp / "notes.txt"), "gen": str(gen), "evil": str(tmp / "evil.pt")}
    filled = []
    for t in argv:
        for k, v in sc.items():
            t = t.replace("{" + k + "}", v)
        filled.append(t)
    env = {**os.environ, "PYTHONPATH": f"{tree}/src", "SEMINAL_NO_DOWNLOAD": "1", "MPLBACKEND": "Agg"}
    r = subprocess.run([sys.executable, "-m", "seminal", *filled], cwd=tmp, env=env, capture_output=True, text=True, timeout=600)
    err = r.stderr
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith(("seminal: note:", "seminal: running", "usage:", " "))]
    ok = r.returncode != 0 and "Traceback" not in err and any(name in line for line in lines)
    clear += ok
    rows.append((ok, r.returncode, " ".join(argv)[:70], (lines[-1] if lines else "")[:150]))
for row in rows:
    print(*row, sep=" | ")
print(f"CLEAR {clear}/{len(BAD_INPUTS)} for {tree}")
