"""The ``pyg-vgae`` command: train, cluster, embed."""
from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import traceback
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
import torch_geometric
from torch_geometric import seed_everything

from . import __version__
from .checkpoint import atomic_write, load_checkpoint, save
from .data import load_dataset, split_edges
from .metrics import cluster_embeddings
from .presets import (ENCODERS, MODELS, PRESETS, ModelSpec, build_model,
                      preset, preset_data)
from .train import STOP_REQUESTED, FitResult, TrainConfig, Trainer

log = logging.getLogger("pyg_vgae")

# CLI flag -> (ModelSpec or TrainConfig field); None means "from the preset".
SPEC_FLAGS = ("encoder", "hidden", "latent", "num_layers", "dropout",
              "decoder", "neg_ratio")
TRAIN_FLAGS = ("epochs", "lr", "recon", "kl_weight", "patience", "device",
               "disc_steps", "select", "weight_decay", "mask_ratio",
               "batch_size")


class UsageError(Exception):
    """A problem with what the user asked for: one line, exit status 2."""


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return value


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", choices=sorted(MODELS), default="gae")
    parser.add_argument("--encoder", choices=ENCODERS, default=None,
                        help="encoder conv (default: the preset's, gcn)")
    parser.add_argument("--dataset", default=None,
                        help="Cora, CiteSeer, PubMed, sbm, or a path to a "
                        ".pt Data or an edge list (default: sbm, a "
                        "synthetic graph that needs no download)")
    parser.add_argument("--features", default=None,
                        help="node features (.npy or .csv) for an edge list")
    parser.add_argument("--root", default=None,
                        help="folder holding Planetoid data "
                        "(default: $PYG_VGAE_DATA, then ~/.cache/pyg_vgae)")
    parser.add_argument("--preset", choices=sorted(PRESETS),
                        default="default")
    parser.add_argument("--epochs", type=_positive_int, default=None)
    parser.add_argument("--lr", type=_positive_float, default=None)
    parser.add_argument("--hidden", type=_positive_int, default=None)
    parser.add_argument("--latent", type=_positive_int, default=None)
    parser.add_argument("--num-layers", type=_positive_int, default=None)
    parser.add_argument("--dropout", type=float, default=None)
    parser.add_argument("--decoder", choices=("inner", "mlp"), default=None)
    parser.add_argument("--normalize-features",
                        action=argparse.BooleanOptionalAction, default=None,
                        help="row-normalise Planetoid features (default: "
                        "the preset's; paper feeds them raw)")
    parser.add_argument("--recon", choices=("sampled", "full"), default=None)
    parser.add_argument("--kl-weight", type=float, default=None,
                        help="weight of the KL term (default: 1/N)")
    parser.add_argument("--disc-steps", type=int, default=None)
    parser.add_argument("--patience", type=_positive_int, default=None)
    parser.add_argument("--weight-decay", type=float, default=None)
    parser.add_argument("--neg-ratio", type=_positive_float, default=None,
                        help="negative pairs per positive edge")
    parser.add_argument("--mask-ratio", type=float, default=None,
                        help="share of training edges hidden from the "
                        "encoder each step and reconstructed (edge masking)")
    parser.add_argument("--batch-size", type=_positive_int, default=None,
                        help="train on mini-batches of this many edges "
                        "(LinkNeighborLoader; needs the sparse extra)")
    parser.add_argument("--select", choices=("auc", "ap", "auc+ap", "last"),
                        default=None, help="keep the weights of the best "
                        "validation score, or of the last epoch")
    parser.add_argument("--seeds", type=_positive_int, default=1,
                        help="number of runs, seeds S .. S+N-1")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default=None,
                        help="auto (default), cpu, cuda, cuda:1 ...")
    parser.add_argument("--json", default=None, help="write results here")
    parser.add_argument("--plot", default=None, help="write a PNG here")
    parser.add_argument("--save", default=None,
                        help="write a checkpoint of the last run here")
    parser.add_argument("--resume", default=None, metavar="CHECKPOINT",
                        help="go on training a run saved with --save, "
                        "with its settings (raise --epochs)")
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("--debug", action="store_true",
                        help="show tracebacks")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pyg-vgae",
        description="Train and evaluate graph auto-encoders "
        "(GAE, VGAE, ARGA, ARGVA) on PyG graphs.")
    parser.add_argument("--version", action="version",
                        version=f"pyg-vgae {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser(
        "train", help="link prediction: train on a split, report test "
        "AUC / AP", description="Train on 85/5/10 edge splits, select on "
        "validation AUC, report test AUC and AP.")
    _add_common(train)
    train.add_argument("--val-ratio", type=float, default=0.05)
    train.add_argument("--test-ratio", type=float, default=0.10)
    cluster = commands.add_parser(
        "cluster", help="node clustering: train on the whole graph, "
        "k-means on embeddings", description="Train on the whole graph "
        "(no edges held out), cluster the embeddings with k-means, report "
        "ACC, NMI, ARI and F1.")
    _add_common(cluster)
    cluster.add_argument("--clusters", type=_positive_int, default=None,
                         help="k (default: the number of classes)")
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
    return parser


def resolve_settings(args: argparse.Namespace, in_channels: int
                     ) -> tuple[ModelSpec, TrainConfig]:
    """Preset values, overridden by every flag the user gave."""
    spec_fields, train_fields = preset(args.preset, args.model)
    for name in SPEC_FLAGS:
        if getattr(args, name) is not None:
            spec_fields[name] = getattr(args, name)
    for name in TRAIN_FLAGS:
        if getattr(args, name) is not None:
            train_fields[name] = getattr(args, name)
    spec = ModelSpec(model=args.model, in_channels=in_channels, **spec_fields)
    config = TrainConfig(progress=not args.quiet, **train_fields)
    return spec, config


def _versions() -> dict[str, str]:
    return {"pyg_vgae": __version__, "torch": torch.__version__,
            "torch_geometric": torch_geometric.__version__}


def _summary(runs: list[dict], metrics: tuple[str, ...]) -> dict:
    summary = {}
    for metric in metrics:
        values = np.array([run[metric] for run in runs], dtype=float)
        summary[metric] = {"mean": float(values.mean()),
                           "std": float(values.std())}
    times = [run["epoch_time_ms"] for run in runs]
    summary["epoch_time_ms"] = {"median": float(np.median(times))}
    return summary


def _print_table(title: str, summary: dict, metrics: tuple[str, ...],
                 num_runs: int) -> None:
    print(f"\n{title}  ({num_runs} run{'s' if num_runs > 1 else ''})")
    print(f"{'metric':<16}{'mean':>10}{'std':>10}")
    for metric in metrics:
        print(f"{metric:<16}{summary[metric]['mean']:>10.4f}"
              f"{summary[metric]['std']:>10.4f}")
    print(f"{'step time (ms)':<16}"
          f"{summary['epoch_time_ms']['median']:>10.2f}")


def _resumed_settings(args, payload: dict) -> tuple[ModelSpec, TrainConfig]:
    """The checkpoint's settings; ``--epochs`` may extend the run."""
    spec = ModelSpec(**payload["spec"])
    config_fields = dict(payload["extra"]["config"])
    config_fields["progress"] = not args.quiet
    if args.epochs is not None:
        config_fields["epochs"] = args.epochs
    if args.device is not None:
        config_fields["device"] = args.device
    return spec, TrainConfig(**config_fields)


def _run_one(args, data, seed: int, held_out: bool, resume: dict | None):
    """Train one seed, or go on with a checkpoint's run; returns
    (result, trainer, spec, config)."""
    if resume is not None:
        spec, config = _resumed_settings(args, resume)
        seed = config.seed
    else:
        spec, config = resolve_settings(args, data.num_features)
        config.seed = seed
    seed_everything(seed)
    if held_out:
        train_data, val_data, test_data = split_edges(
            data, args.val_ratio, args.test_ratio, seed=seed)
    else:
        train_data, val_data, test_data = data, None, None
    model = build_model(spec)
    trainer = Trainer(model, config)
    if resume is not None:
        model.load_state_dict(resume["state_dict"])
        trainer.load_state_dict(resume["trainer"])
        if trainer.epochs_done >= config.epochs:
            raise UsageError(f"the checkpoint has trained "
                             f"{trainer.epochs_done} epochs already: pass "
                             f"--epochs above that to go on")
        log.info("resuming at epoch %d of %d", trainer.epochs_done + 1,
                 config.epochs)
    result: FitResult = trainer.fit(train_data, val_data, test_data)
    if result.stopped:
        log.info("seed %d: %s", seed, result.stopped)
    return result, trainer, spec, config


def _load_resume(args: argparse.Namespace, clustering: bool) -> dict | None:
    """The checkpoint to go on from; its dataset and model unless given."""
    if getattr(args, "resume", None) is None:
        return None
    payload = load_checkpoint(args.resume)
    extra = payload["extra"]
    if not payload.get("trainer") or "config" not in extra:
        raise UsageError(f"'{args.resume}' holds no trainer state to resume "
                         f"from; write it with `pyg-vgae train --save`")
    saved_by = "cluster" if extra.get("task") == "cluster" else "train"
    if saved_by != ("cluster" if clustering else "train"):
        raise UsageError(f"'{args.resume}' was saved by `pyg-vgae "
                         f"{saved_by}`; resume it with that command")
    if args.seeds != 1:
        raise UsageError("--resume goes on with one run: drop --seeds")
    args.model = payload["spec"]["model"]
    for name in ("dataset", "root", "features", "normalize_features"):
        if getattr(args, name) is None:
            setattr(args, name, extra.get(name))
    for name in ("val_ratio", "test_ratio"):
        if name in extra:
            setattr(args, name, extra[name])
    return payload


def command_train(args: argparse.Namespace, clustering: bool) -> None:
    resume = _load_resume(args, clustering)
    normalize = preset_data(args.preset, args.model)["normalize_features"]
    if args.normalize_features is not None:
        normalize = args.normalize_features
    data = load_dataset(args.dataset, args.root, args.features, normalize)
    if clustering and getattr(data, "y", None) is None:
        raise UsageError(f"dataset '{data.name}' has no node labels to score "
                         f"clusters against")
    log.info("dataset %s: %d nodes, %d edges, %d features", data.name,
             data.num_nodes, data.num_edges // 2, data.num_features)
    runs, histories = [], []
    trainer = spec = config = None
    for seed in range(args.seed, args.seed + args.seeds):
        result, trainer, spec, config = _run_one(
            args, data, seed, held_out=not clustering, resume=resume)
        seed = config.seed
        run = {"seed": seed, "best_epoch": result.best_epoch,
               "epoch_time_ms": result.epoch_time_ms}
        if clustering:
            z = trainer.embed(data)
            run.update(cluster_embeddings(z, data.y, args.clusters, seed))
        else:
            run.update(test_auc=result.test_auc, test_ap=result.test_ap,
                       val_auc=result.val_auc, val_ap=result.val_ap)
        if result.stopped:
            run["stopped"] = result.stopped
        runs.append(run)
        histories.append(result.history)
        if not args.quiet:
            shown = {k: round(v, 4) for k, v in run.items()
                     if isinstance(v, float)}
            print(f"seed {seed}: {shown}", file=sys.stderr)
    metrics = (("acc", "nmi", "ari", "f1") if clustering else
               ("test_auc", "test_ap"))
    summary = _summary(runs, metrics)
    title = (f"{args.model.upper()} on {data.name} "
             f"({'clustering' if clustering else 'link prediction'}, "
             f"preset {args.preset})")
    _print_table(title, summary, metrics, len(runs))
    if args.json:
        report = {
            "model": args.model, "dataset": data.name,
            "task": "cluster" if clustering else "link",
            "config": {"preset": args.preset, **asdict(spec),
                       **asdict(config), "seeds": args.seeds,
                       "first_seed": args.seed,
                       **({} if clustering else
                          {"val_ratio": args.val_ratio,
                           "test_ratio": args.test_ratio})},
            "runs": runs, "summary": summary, "versions": _versions(),
        }
        if getattr(args, "resume", None):
            report["config"]["resumed_from"] = str(args.resume)
        report["config"].pop("seed", None)
        report["config"].pop("progress", None)
        atomic_write(args.json, lambda tmp: Path(tmp).write_text(
            json.dumps(report, indent=2)))
        log.info("wrote %s", args.json)
    if args.plot:
        from .plots import plot_run
        z = trainer.embed(data)
        plot_run(args.plot, histories, z.cpu(), getattr(data, "y", None),
                 title=title)
        log.info("wrote %s", args.plot)
    if args.save:
        save(args.save, trainer.model, spec,
             extra={"config": asdict(config), "dataset": args.dataset,
                    "root": args.root, "features": args.features,
                    "normalize_features": normalize,
                    "task": "cluster" if clustering else "link",
                    **({} if clustering else
                       {"val_ratio": args.val_ratio,
                        "test_ratio": args.test_ratio})},
             trainer_state=trainer.state_dict())
        log.info("wrote %s", args.save)


def command_embed(args: argparse.Namespace) -> None:
    payload = load_checkpoint(args.checkpoint)
    extra = payload.get("extra", {})
    dataset = args.dataset or extra.get("dataset")
    data = load_dataset(dataset, args.root or extra.get("root"),
                        args.features or extra.get("features"),
                        extra.get("normalize_features", True))
    spec = ModelSpec(**payload["spec"])
    if spec.in_channels not in (-1, data.num_features):
        raise UsageError(f"the checkpoint expects {spec.in_channels} "
                         f"features, dataset '{data.name}' has "
                         f"{data.num_features}")
    model = build_model(spec)
    model.load_state_dict(payload["state_dict"])
    trainer = Trainer(model, TrainConfig(device=args.device, progress=False))
    z = trainer.embed(data).cpu()
    out = Path(args.out)
    if out.suffix == ".npy":
        atomic_write(out, lambda tmp: _save_npy(tmp, z.numpy()))
    elif out.suffix == ".pt":
        atomic_write(out, lambda tmp: torch.save(z, tmp))
    else:
        raise UsageError(f"--out must end in .npy or .pt, got '{out.name}'")
    log.info("wrote %d x %d embeddings to %s", z.size(0), z.size(1), out)


def _save_npy(path: str, array: np.ndarray) -> None:
    with open(path, "wb") as handle:  # np.save(path) would append ".npy"
        np.save(handle, array)


def _raise_interrupt(signum, frame) -> None:
    # The flag stops the trainer at the next epoch even if the exception is
    # swallowed where it lands (an exception in a __del__ is only printed).
    STOP_REQUESTED.set()
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO,
                        format="%(message)s", stream=sys.stderr)
    STOP_REQUESTED.clear()
    previous = {sig: signal.signal(sig, _raise_interrupt)
                for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        return _run(args)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _run(args: argparse.Namespace) -> int:
    """Run a parsed command; errors become one line and exit status 2."""
    try:
        if args.command == "embed":
            command_embed(args)
        else:
            command_train(args, clustering=args.command == "cluster")
    except KeyboardInterrupt:
        print("interrupted: stopped cleanly, no results written",
              file=sys.stderr)
        return 130
    except (UsageError, ValueError, TypeError, FileNotFoundError,
            MemoryError, OSError, RuntimeError) as error:
        if args.debug:
            traceback.print_exc()
        message = str(error).splitlines()[0] if str(error) else \
            type(error).__name__
        print(f"error: {message}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
