"""Pictures of a training run (needs the ``plot`` extra: matplotlib)."""
from __future__ import annotations

from pathlib import Path

import torch
from sklearn.decomposition import PCA


def plot_run(path: str | Path, histories: list[dict],
             embedding: torch.Tensor | None = None,
             labels: torch.Tensor | None = None, title: str = "") -> None:
    """Write a picture (PNG, PDF, SVG or JPEG, from the suffix): training loss and validation AUC / AP per epoch (one
    line per seed), and a 2-D PCA view of the embeddings coloured by class.
    """
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ValueError("--plot needs matplotlib: pip install "
                         "'pyg-vgae[plot]'") from error
    panels = 3 if embedding is not None else 2
    fig, axes = plt.subplots(1, panels, figsize=(5 * panels, 4))
    for seed_index, history in enumerate(histories):
        axes[0].plot(history["epoch"], history["loss"], alpha=0.8,
                     label=f"run {seed_index}")
        epochs = [e for e, v in zip(history["epoch"], history["val_auc"])
                  if v is not None]
        for key, style in (("val_auc", "-"), ("val_ap", "--")):
            values = [v for v in history[key] if v is not None]
            if values:
                axes[1].plot(epochs, values, style, alpha=0.8,
                             label=f"{key[4:].upper()} run {seed_index}")
    axes[0].set(xlabel="epoch", ylabel="training loss", title="loss")
    axes[1].set(xlabel="epoch", ylabel="validation score",
                title="validation AUC / AP")
    for axis in axes[:2]:
        if axis.get_legend_handles_labels()[0]:
            axis.legend(fontsize=7)
    if embedding is not None:
        points = PCA(n_components=2).fit_transform(
            embedding.detach().cpu().numpy())
        colours = labels.cpu().numpy() if labels is not None else None
        axes[2].scatter(points[:, 0], points[:, 1], s=3, c=colours,
                        cmap="tab10" if colours is not None else None)
        axes[2].set(title="embeddings (PCA)", xticks=[], yticks=[])
    fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # The format follows the name (.png, .pdf, .svg), as the user asked.
    kind = path.suffix.lower().lstrip(".") or "png"
    tmp = path.with_name(f".{path.name}.tmp.{kind}")
    fig.savefig(tmp, dpi=110, format="jpeg" if kind == "jpg" else kind)
    plt.close(fig)
    tmp.replace(path)

