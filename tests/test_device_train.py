"""bench/device_train.py's transfer pieces: weights split under the per-file limit and read back whole."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import torch

from tests.bench_scripts import load_bench_script


def _script() -> ModuleType:
    return load_bench_script("device_train")


def test_save_parts_stays_under_the_limit_and_loses_nothing(tmp_path: Path) -> None:
    from safetensors.torch import load_file

    dt = _script()
    state = {f"layer{i}.weight": torch.randn(64, 64).half() for i in range(10)}  # 8 KiB each
    paths = dt.save_parts(state, tmp_path, "layout", max_bytes=20_000)
    assert len(paths) == 5 and all(p.name.startswith("layout.part") for p in paths)
    back: dict[str, torch.Tensor] = {}
    for p in paths:
        part = load_file(str(p))
        assert sum(t.numel() * t.element_size() for t in part.values()) <= 20_000
        back.update(part)
    assert back.keys() == state.keys() and all(torch.equal(back[k], state[k]) for k in state)


def test_every_variant_names_its_view_and_the_text_ones_have_no_layout() -> None:
    dt = _script()
    for name, (use_layout, _, overrides) in dt.VARIANTS.items():
        assert use_layout == name.startswith("layout")
        assert set(overrides) <= {"o_token_noise"}
