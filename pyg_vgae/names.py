"""The names the ``pyg-vgae`` command accepts, without importing torch, so
that ``--help`` and a usage error answer at once (importing torch and PyG
takes seconds). The modules that implement them check that they agree
(``tests/test_cli.py``)."""
from __future__ import annotations

MODEL_NAMES = ("gae", "vgae", "arga", "argva")
PRESET_NAMES = ("default", "paper", "best")
#: Decoder names; the directed ones (source_target, gravity) make the model
#: directed.
DECODERS = ("inner", "mlp", "source_target", "gravity")
DIRECTED_DECODERS = ("source_target", "gravity")
#: Where sampled negatives may end: all nodes, or only those with a
#: training edge (:class:`pyg_vgae.GAE`'s ``neg_nodes``).
NEG_NODES = ("all", "linked")
#: ``linear`` is one GCN layer with no activation.
ENCODER_NAMES = ("gcn", "linear", "sage", "gat", "gin")

#: Validation score that :meth:`~pyg_vgae.Trainer.fit` maximises, per
#: ``select`` (besides ``"hits@K"``: :func:`ranking_metric`).
SELECT = {"auc": lambda auc, ap: auc, "ap": lambda auc, ap: ap,
          "auc+ap": lambda auc, ap: auc + ap, "last": lambda auc, ap: 0.0}


def ranking_metric(select: str) -> bool:
    """Whether ``select`` is ``"hits@K"`` (K a positive integer): the
    share of positive pairs scored above the K-th best negative, OGB's
    ranking metric for link prediction (ogbl-ddi is ranked by Hits@20)."""
    if not isinstance(select, str):
        return False
    prefix, _, k = select.partition("@")
    return prefix == "hits" and k.isascii() and k.isdigit() and int(k) > 0
