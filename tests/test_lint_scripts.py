"""scripts/check_private_imports.py (`make lint`): another module's private names are flagged with
file:line; class and instance attributes, dunders and public modules pass."""

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "check_private_imports.py"

HELPERS = "import os\n\n_secret = 1\npublic = 2\n__version__ = '1'\n\n\nclass Thing:\n    _meta = None\n"


def run(tmp_path: Path, files: dict[str, str]) -> subprocess.CompletedProcess[str]:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "helpers.py").write_text(HELPERS)
    for name, text in files.items():
        (package / name).write_text(text)
    return subprocess.run([sys.executable, str(SCRIPT), "pkg"], cwd=tmp_path, capture_output=True, text=True)


def test_private_imports_and_attributes_of_imported_modules_are_flagged(tmp_path):
    result = run(
        tmp_path,
        {
            "by_name.py": "from .helpers import _secret, public\n",
            "absolute.py": "\nfrom pkg.helpers import _secret as secret\n",
            "by_module.py": "from . import helpers\n\n\ndef f():\n    return helpers._secret\n",
            "dotted.py": "import pkg.helpers\n\nx = pkg.helpers._secret\n",
        },
    )

    assert result.returncode == 1
    lines = sorted(result.stdout.splitlines())
    assert lines == [
        "pkg/absolute.py:2: imports private _secret from pkg.helpers",
        "pkg/by_module.py:5: uses private helpers._secret",
        "pkg/by_name.py:1: imports private _secret from .helpers",
        "pkg/dotted.py:3: uses private pkg.helpers._secret",
    ]


def test_a_clean_package_passes(tmp_path):
    clean = (
        "from django.utils.translation import gettext as _\n\n"
        "from . import helpers\n"
        "from .helpers import Thing, __version__, public\n\n\n"
        "class Mine:\n"
        "    def __init__(self):\n"
        "        self._cache = Thing._meta, helpers.Thing._meta, helpers.public, helpers.__version__\n"
        "        self._label = _('x')\n"
    )
    result = run(tmp_path, {"clean.py": clean})

    assert result.returncode == 0, result.stdout
    assert result.stdout.startswith("No private imports in 3 files.")
