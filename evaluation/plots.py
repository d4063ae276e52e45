"""The report's figures as base64 PNGs (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

from evaluation.metrics import AutomationCurve, Calibration


def _fig(w: float = 5.0, h: float = 3.6):  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(w, h), dpi=100)


def _encode(fig) -> str:  # type: ignore[no-untyped-def]
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def reliability(cal: Calibration, title: str) -> str:
    fig, ax = _fig()
    ax.plot([0, 1], [0, 1], ls="--", c="grey", lw=1, label="perfectly calibrated")
    used = [b for b in cal.bins if b.count]
    ax.bar([(b.lo + b.hi) / 2 for b in used], [b.accuracy for b in used], width=0.09, alpha=0.7,
           edgecolor="black", label="share correct")
    ax.plot([b.confidence for b in used], [b.accuracy for b in used], "o-", c="C3", label="mean confidence")
    for b in used:
        ax.annotate(str(b.count), ((b.lo + b.hi) / 2, b.accuracy), ha="center", va="bottom", fontsize=7)
    ax.set(xlim=(0, 1), ylim=(0, 1.05), xlabel="confidence", ylabel="accuracy",
           title=f"{title} (ECE {cal.ece:.3f}, n={cal.n})")
    ax.legend(fontsize=7, loc="upper left")
    return _encode(fig)


def automation(curve: AutomationCurve) -> str:
    fig, ax = _fig(6, 3.8)
    pts = sorted(curve.points, key=lambda p: p.automation_rate)
    ax.plot([p.automation_rate for p in pts], [p.error_rate for p in pts], "-", c="C0", drawstyle="steps-post")
    ax.axhline(curve.max_error, ls="--", c="C3", lw=1, label=f"max error {curve.max_error:.0%}")
    op = curve.operating_point
    if op:
        ax.plot([op.automation_rate], [op.error_rate], "o", c="C3", ms=8,
                label=f"operating point: threshold {op.threshold:.3f}, {op.automation_rate:.0%} automated")
    ax.set(xlim=(0, 1.02), ylim=(0, max(0.05, max((p.error_rate for p in pts), default=0) * 1.1)),
           xlabel="share of referrals skipping review", ylabel="critical error rate among them",
           title="Automation curve")
    ax.legend(fontsize=7)
    return _encode(fig)


def heatmap(matrix: Sequence[Sequence[int]], rows: Sequence[str], cols: Sequence[str], title: str,
            xlabel: str = "predicted", ylabel: str = "gold") -> str:
    import numpy as np

    mat = np.asarray(matrix, dtype=float)
    fig, ax = _fig(max(4.0, 0.32 * len(cols) + 2), max(3.2, 0.28 * len(rows) + 1.6))
    ax.imshow(np.log1p(mat), cmap="Blues")
    ax.set_xticks(range(len(cols)), cols, rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(len(rows)), rows, fontsize=7)
    for i in range(mat.shape[0]):
        for j in range(mat.shape[1]):
            if mat[i, j]:
                ax.text(j, i, int(mat[i, j]), ha="center", va="center", fontsize=6,
                        color="white" if mat[i, j] > mat.max() / 2 else "black")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    return _encode(fig)


def latency_hist(per_page_ms: Sequence[float]) -> str:
    fig, ax = _fig(5, 3)
    ax.hist(per_page_ms, bins=30, color="C2", edgecolor="black")
    ax.set(xlabel="ms per page", ylabel="pages", title="Per-page latency")
    return _encode(fig)


def group_bars(groups: Sequence[str], values: Sequence[float], title: str) -> str:
    fig, ax = _fig(6, max(2.5, 0.28 * len(groups) + 1))
    ax.barh(list(groups), list(values), color="C0")
    ax.set(xlim=(0, 1), xlabel="straight-through rate", title=title)
    ax.tick_params(axis="y", labelsize=7)
    ax.invert_yaxis()
    return _encode(fig)
