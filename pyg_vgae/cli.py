"""The ``pyg-vgae`` command: train, cluster, embed.

The parser needs no torch (:mod:`pyg_vgae.names`), so ``--help`` and a
usage error answer in a fraction of a second; the commands and torch are
imported once the arguments parse."""
from __future__ import annotations

import argparse
import logging
import math
import signal
import sys
import traceback

from . import __version__
from .names import (DECODERS, ENCODER_NAMES, MODEL_NAMES, NEG_NODES,
                    PRESET_NAMES, SELECT, ranking_metric)
from .outputs import OutputError

log = logging.getLogger("pyg_vgae")

MAX_SEED = 2 ** 32 - 1


def _selection(text: str) -> str:
    """An argparse type: a ``select`` that TrainConfig accepts."""
    if text in SELECT or ranking_metric(text):
        return text
    raise argparse.ArgumentTypeError(
        f"expected one of {', '.join(sorted(SELECT))} or hits@K with K a "
        f"positive integer, got '{text}'")


def _fanout(text: str) -> int:
    """An argparse type: neighbours per hop, a positive integer or -1."""
    value = _number(int, -1, 2 ** 31 - 1)(text)
    if value == 0:
        raise argparse.ArgumentTypeError("expected a positive count or -1 "
                                         "(all neighbours), got 0")
    return value


def _number(kind, low, high, low_open=False, high_open=False):
    """An argparse type: a finite ``kind`` in the range, else a message
    naming the range."""
    def parse(text: str):
        try:
            value = kind(text)
        except (ValueError, OverflowError):
            raise argparse.ArgumentTypeError(
                f"expected {'an integer' if kind is int else 'a number'}, "
                f"got '{text}'") from None
        if isinstance(value, float) and not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be finite, got {text}")
        below = value <= low if low_open else value < low
        above = value >= high if high_open else value > high
        if below or above:
            raise argparse.ArgumentTypeError(
                f"must lie in {'(' if low_open else '['}{low}, {high}"
                f"{')' if high_open else ']'}, got {text}")
        return value
    return parse


COUNT = _number(int, 1, 10_000_000)
WIDTH = _number(int, 1, 65_536)
SHARE = _number(float, 0.0, 1.0, high_open=True)
RATIO = _number(float, 0.0, 1.0, low_open=True, high_open=True)
RATE = _number(float, 0.0, 100.0, low_open=True)
WEIGHT = _number(float, 0.0, 1e6)


def _add_common(parser: argparse.ArgumentParser) -> None:
    """The flags every training command shares, in --help's groups."""
    _add_data_args(parser.add_argument_group("model and data"))
    _add_training_args(parser.add_argument_group("training"))
    _add_run_args(parser.add_argument_group("runs and outputs"))


def _add_data_args(group) -> None:
    add = group.add_argument
    add("--model", choices=sorted(MODEL_NAMES), default=None,
        help="gae (default), vgae, arga or argva")
    add("--encoder", choices=ENCODER_NAMES, default=None,
        help="encoder conv (default: the preset's, gcn)")
    add("--dataset", default=None,
        help="a name (Cora, CiteSeer, PubMed, Photo, Computers, CS, Physics,"
        " Cora_ML, DBLP, ogbl-ddi, ...), sbm (a synthetic graph, the "
        "default), or a path to a .pt Data or an edge list")
    add("--features", default=None,
        help="node features (.npy or .csv); replace the dataset's own")
    add("--root", default=None,
        help="data root holding Planetoid/, Amazon/, Coauthor/, OGB/ ... "
        "(default: $PYG_VGAE_DATA, then ~/.cache/pyg_vgae/data)")
    add("--preset", choices=sorted(PRESET_NAMES), default=None,
        help="default (PyG's example), paper or best")
    add("--config", default=None, metavar="RESULTS_JSON",
        help="repeat the settings of a run from the JSON its --json wrote;"
        " flags given beside it override")
    add("--hidden", type=WIDTH, default=None)
    add("--latent", type=WIDTH, default=None)
    add("--num-layers", type=_number(int, 1, 64), default=None)
    add("--dropout", type=SHARE, default=None)
    add("--decoder", choices=DECODERS, default=None,
        help="inner (default), mlp, or a directed decoder: source_target, "
        "gravity")
    add("--members", type=_number(int, 1, 64), default=None,
        help="train an ensemble of this many encoder-decoder pairs side by "
        "side, each on its own loss, scored by their mean logit (gae and "
        "vgae)")
    add("--normalize-features", action=argparse.BooleanOptionalAction,
        default=None, help="row-normalise bag-of-words features (default: "
        "the preset's; paper feeds them raw)")


def _add_training_args(group) -> None:
    add = group.add_argument
    add("--epochs", type=COUNT, default=None)
    add("--lr", type=RATE, default=None)
    add("--recon", choices=("sampled", "full"), default=None)
    add("--kl-weight", type=WEIGHT, default=None,
        help="weight of the KL term (default: 1/N)")
    add("--disc-steps", type=_number(int, 0, 1000), default=None)
    add("--patience", type=COUNT, default=None)
    add("--weight-decay", type=WEIGHT, default=None)
    add("--neg-ratio", type=_number(float, 0.0, 1000.0, low_open=True),
        default=None, help="negative pairs per positive edge")
    add("--neg-nodes", choices=NEG_NODES, default=None,
        help="where negatives end: all nodes, or only linked ones, with a "
        "training edge (default: the preset's)")
    add("--mask-ratio", type=SHARE, default=None,
        help="share of training edges hidden from the encoder each step "
        "and reconstructed (edge masking)")
    add("--batch-size", type=_number(int, 1, 2 ** 31 - 1), default=None,
        help="train on mini-batches of this many edges with their "
        "sampled neighbourhoods (--num-neighbors)")
    add("--num-neighbors", type=_fanout, nargs="+", default=None,
        help="neighbours sampled per hop with --batch-size, -1 for all "
        "(default: 10 10)")
    add("--select", type=_selection, default=None,
        help="keep the weights of the best validation auc, ap, auc+ap or "
        "hits@K (e.g. hits@20), or of the last epoch")
    add("--nproc", type=_number(int, 1, 1024), default=None,
        help="train data-parallel in this many processes (GAE / VGAE; "
        "the same as launching the command with torchrun)")
    add("--resume", default=None, metavar="CHECKPOINT",
        help="go on training a run saved with --save, with its settings "
        "(raise --epochs)")


def _add_run_args(group) -> None:
    add = group.add_argument
    add("--seeds", type=_number(int, 1, 10_000), default=None,
        help="number of runs, seeds S .. S+N-1 (default 1)")
    add("--seed", type=_number(int, 0, MAX_SEED), default=None,
        help="first seed (default 0)")
    add("--device", default=None, help="auto (default), cpu, cuda, cuda:1")
    add("--json", default=None, help="write results here (.json)")
    add("--plot", default=None, help="write a picture here (.png, .pdf, "
        ".svg)")
    add("--save", default=None,
        help="write a checkpoint of the last run here (.pt)")
    add("--log-dir", default=None,
        help="write TensorBoard logs here (needs the tensorboard extra)")
    add("--quiet", action="store_true")
    add("--debug", action="store_true", help="show tracebacks")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pyg-vgae",
        description="Train and evaluate graph auto-encoders "
        "(GAE, VGAE, ARGA, ARGVA) on PyG graphs.")
    parser.add_argument("--version", action="version",
                        version=f"pyg-vgae {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    for add_command in (_add_train, _add_cluster, _add_score, _add_embed):
        add_command(commands)
    return parser


def _add_train(commands) -> None:
    train = commands.add_parser(
        "train", help="link prediction: train on a split, report test "
        "AUC / AP", description="Train on 85/5/10 edge splits (or a "
        "dataset's official split), select on validation, report test "
        "AUC and AP.")
    _add_common(train)
    train.add_argument("--directed", action="store_true",
                       help="keep edge directions (edge lists, .pt, "
                       "CitationFull) and train a directed decoder "
                       "(default: source_target); reports the general, "
                       "biased-negatives and bidirectional tasks")
    train.add_argument("--weighted", choices=("bce", "poisson", "gaussian"),
                       default=None, help="read edge weights (an edge "
                       "list's third column, a .pt graph's edge_weight), "
                       "use them in the encoder and reconstruct them under "
                       "this likelihood: bce for weights in [0, 1], poisson "
                       "for counts, gaussian for reals")
    train.add_argument("--val-ratio", type=RATIO, default=None)
    train.add_argument("--test-ratio", type=RATIO, default=None)


def _add_cluster(commands) -> None:
    cluster = commands.add_parser(
        "cluster", help="node clustering: train on the whole graph, "
        "k-means on embeddings", description="Train on the whole graph "
        "(no edges held out), cluster the embeddings with k-means, report "
        "ACC, NMI, ARI and F1.")
    _add_common(cluster)
    cluster.add_argument("--clusters", type=_number(int, 1, 100_000),
                         default=None,
                         help="k (default: the number of classes)")


def _add_score(commands) -> None:
    score = commands.add_parser(
        "score", help="anomaly score of every node: structure and feature "
        "reconstruction errors", description="Train on the whole graph with "
        "an attribute decoder, then score each node by alpha * its feature "
        "reconstruction error + (1 - alpha) * its adjacency reconstruction "
        "error (as DOMINANT does); higher is more anomalous.")
    _add_common(score)
    score.add_argument("--scores", required=True,
                       help="write one score per node here (.npy, .csv or "
                       ".pt)")
    score.add_argument("--alpha", type=_number(float, 0.0, 1.0),
                       default=0.5, help="weight of the feature error")
    score.add_argument("--feature-weight", type=_number(float, 0.0, 1e6),
                       default=1.0, help="weight of the feature loss in "
                       "training")


def _add_embed(commands) -> None:
    embed = commands.add_parser(
        "embed", help="embeddings of every node from a checkpoint",
        description="Write the embeddings (mu for variational models) of "
        "every node.")
    embed.add_argument("--checkpoint", required=True)
    embed.add_argument("--dataset", default=None,
                       help="default: the checkpoint's dataset")
    embed.add_argument("--features", default=None)
    embed.add_argument("--root", default=None)
    embed.add_argument("--out", required=True, help=".npy or .pt")
    embed.add_argument("--device", default="auto")
    embed.add_argument("--quiet", action="store_true")
    embed.add_argument("--debug", action="store_true")


def _raise_interrupt(signum, frame) -> None:
    # The flag stops the trainer at the next epoch even if the exception is
    # swallowed where it lands (an exception in a __del__ is only printed).
    from .train import STOP_REQUESTED
    STOP_REQUESTED.set()
    raise KeyboardInterrupt


def __getattr__(name: str):
    # resolve_settings and UsageError live with the commands, which import
    # torch: loaded on first use, not to parse arguments.
    if name in ("resolve_settings", "UsageError"):
        from . import commands
        return getattr(commands, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """The parsed command line (exits with status 2 on a usage error);
    imports nothing heavy."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    args.argv = argv
    return args


def main(argv: list[str] | None = None) -> int:
    return run(parse(argv))


def run(args: argparse.Namespace) -> int:
    """Run parsed arguments, Ctrl-C and SIGTERM stopping training cleanly."""
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO,
                        format="%(message)s", stream=sys.stderr)
    from .train import STOP_REQUESTED
    STOP_REQUESTED.clear()
    previous = {sig: signal.signal(sig, _raise_interrupt)
                for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        return _run(args)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _run(args: argparse.Namespace) -> int:
    """Run a parsed command. Known input problems become one ``error:``
    line and exit status 2; anything else is a bug: one line saying so
    (the traceback with ``--debug``) and exit status 1."""
    from .commands import (UsageError, command_embed, command_score,
                           command_train)
    # Problems with what the user gave, reported as one ``error:`` line.
    user_errors = (UsageError, OutputError, ValueError, TypeError,
                   FileNotFoundError, PermissionError, IsADirectoryError,
                   NotADirectoryError, MemoryError)
    try:
        if args.command == "embed":
            command_embed(args)
        elif args.command == "score":
            command_score(args)
        else:
            code = command_train(args, clustering=args.command == "cluster")
            if code:
                return code
    except KeyboardInterrupt:
        print("interrupted: stopped cleanly, no results written",
              file=sys.stderr)
        return 130
    except user_errors as error:
        if args.debug:
            traceback.print_exc()
        message = str(error).splitlines()[0] if str(error) else \
            type(error).__name__
        if isinstance(error, MemoryError):
            message = f"out of memory: {message}"
        print(f"error: {message}", file=sys.stderr)
        return 2
    except Exception as error:  # a defect, not a usage problem
        if args.debug:
            traceback.print_exc()
        first = str(error).splitlines()[0] if str(error) else ""
        print(f"error: internal error, a bug in pyg-vgae "
              f"({type(error).__name__}: {first[:300]}); rerun with --debug "
              f"for the traceback and please report it", file=sys.stderr)
        return 1
    return 0


__all__ = ["main", "parse", "run", "build_parser"]

if __name__ == "__main__":
    from .launch import main as launch
    launch()
