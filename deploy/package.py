"""Build the triggers' deployment zip: the ``lambdas`` package plus the
dependencies in ``lambdas/requirements.txt``, built for the Lambda runtime's
Python and platform (not this machine's), named after its content hash."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAMBDAS = ROOT / "lambdas"
#: The template's functions run on x86_64, Lambda's default architecture.
LAMBDA_PLATFORM = "manylinux2014_x86_64"
#: Zip entries get this timestamp, so the same sources give the same bytes.
_EPOCH = (1980, 1, 1, 0, 0, 0)


def runtime_python_version(runtime: str) -> str:
    """``python3.13`` -> ``3.13``."""
    if not runtime.startswith("python3."):
        raise ValueError(f"not a Python Lambda runtime: {runtime!r}")
    return runtime.removeprefix("python")


def build_lambda_zip(output_dir: Path, runtime: str = "python3.13") -> Path:
    output_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as staging:
        subprocess.run(
            [
                sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                "--no-compile", "--target", staging,
                "--implementation", "cp", "--python-version", runtime_python_version(runtime),
                "--platform", LAMBDA_PLATFORM, "--only-binary=:all:",
                "-r", str(LAMBDAS / "requirements.txt"),
            ],
            check=True,
        )
        files = {
            path.relative_to(staging).as_posix(): path
            for path in Path(staging).rglob("*")
            if path.is_file() and "__pycache__" not in path.parts
        }
        files.update({f"lambdas/{path.name}": path for path in LAMBDAS.glob("*.py")})
        draft = output_dir / "lambdas.zip.partial"
        with zipfile.ZipFile(draft, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name in sorted(files):
                info = zipfile.ZipInfo(name, date_time=_EPOCH)
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, files[name].read_bytes())
    digest = hashlib.sha256(draft.read_bytes()).hexdigest()[:16]
    final = output_dir / f"lambdas-{runtime}-{digest}.zip"
    draft.replace(final)
    return final
