"""What the ``pyg-vgae`` commands do once their flags are parsed: settings
from presets, ``--config`` and flags; resume and embed from checkpoints;
results written where the flags say, after every output was checked."""
from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import sys
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
import torch_geometric
from torch_geometric.data import Data

from . import __version__
from .checkpoint import atomic_write, load_checkpoint, save
from .data import load_dataset
from .outputs import check_outputs
from .parallel import (is_main_process, process_group, relaunch,
                       under_torchrun, uses_cuda)
from .presets import DIRECTED_DECODERS, ModelSpec, build_model, preset_data
from .run import Settings, run_seed, summarise
from .train import TrainConfig, Trainer
from .train.distributed import DistributedTrainer

log = logging.getLogger("pyg_vgae")

# CLI flag -> ModelSpec or TrainConfig field; None means "from the preset".
SPEC_FLAGS = ("encoder", "hidden", "latent", "num_layers", "dropout",
              "decoder", "neg_ratio", "neg_nodes", "members")
TRAIN_FLAGS = ("epochs", "lr", "recon", "kl_weight", "patience", "device",
               "disc_steps", "select", "weight_decay", "mask_ratio",
               "batch_size", "num_neighbors")
#: Flags about the input, recorded in results and checkpoints.
INPUT_FLAGS = ("dataset", "root", "features", "normalize_features")
#: Defaults of flags whose default is ``None`` so that a given flag can be
#: told from an unset one (for --config and --resume).
DEFAULTS = {"model": "gae", "preset": "default", "seed": 0, "seeds": 1,
            "val_ratio": 0.05, "test_ratio": 0.10}


class UsageError(Exception):
    """A problem with what the user asked for: one line, exit status 2."""


def _apply_config(args: argparse.Namespace) -> dict | None:
    """Fill unset flags from a results JSON (``--config``); returns its
    exact model and training settings."""
    if args.config is None:
        return None
    path = Path(args.config)
    try:
        report = json.loads(path.read_text())
        config = report["config"]
    except FileNotFoundError:
        raise FileNotFoundError(f"no such --config file: '{path}'") from None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise UsageError(f"--config '{path}' is not a results JSON written "
                         f"by --json ({type(error).__name__})") from None
    recorded = {"model": report.get("model"), "preset": config.get("preset"),
                "seed": config.get("first_seed"),
                "seeds": config.get("seeds"),
                "val_ratio": config.get("val_ratio"),
                "test_ratio": config.get("test_ratio"),
                **report.get("input", {})}
    for name, value in recorded.items():
        if not hasattr(args, name) or value is None:
            continue
        given = getattr(args, name)
        if given is None or given is False:  # unset (store_true: False)
            setattr(args, name, value)
        elif given != value:
            log.info("--%s %s overrides the config's %s",
                     name.replace("_", "-"), given, value)
    spec_names = set(ModelSpec.__dataclass_fields__)
    train_names = set(TrainConfig.__dataclass_fields__) - {"seed",
                                                           "progress"}
    return {"spec": {k: v for k, v in config.items() if k in spec_names
                     and k not in ("model", "in_channels")},
            "train": {k: v for k, v in config.items() if k in train_names}}


def _flag_overrides(args: argparse.Namespace) -> dict:
    overrides = {name: getattr(args, name) for name in SPEC_FLAGS +
                 TRAIN_FLAGS if getattr(args, name, None) is not None}
    if getattr(args, "weighted", None) is not None:
        overrides["weight_likelihood"] = args.weighted
    return overrides


def resolve_settings(args: argparse.Namespace, in_channels: int,
                     exact: dict | None = None, data: Data | None = None
                     ) -> Settings:
    """The preset's (or ``--config``'s) settings, overridden by every flag
    the user gave. With the graph ``data``: the preset's changes for graphs
    without features where its input is one-hot identities, and selection
    on the dataset's official ranking metric (ogbl-ddi: Hits@20) unless
    ``--select`` says otherwise."""
    overrides = _flag_overrides(args)
    if exact is None and data is not None:
        return Settings.for_graph(args.preset, args.model, data,
                                  **overrides, progress=not args.quiet)
    if exact is None:
        return Settings.from_preset(args.preset, args.model, in_channels,
                                    **overrides, progress=not args.quiet)
    for name, value in overrides.items():
        saved = exact["spec"].get(name, exact["train"].get(name))
        if saved is not None and saved != value:
            log.info("--%s %s overrides the config's %s",
                     name.replace("_", "-"), value, saved)
    spec_fields = {**exact["spec"], **{k: v for k, v in overrides.items()
                                       if k in SPEC_FLAGS}}
    train_fields = {**exact["train"], **{k: v for k, v in overrides.items()
                                         if k not in SPEC_FLAGS}}
    return Settings(ModelSpec(model=args.model, in_channels=in_channels,
                              **spec_fields),
                    TrainConfig(**train_fields, progress=not args.quiet))


def _versions() -> dict[str, str]:
    return {"pyg_vgae": __version__, "torch": torch.__version__,
            "torch_geometric": torch_geometric.__version__}


def _print_table(title: str, summary: dict, metrics: tuple[str, ...],
                 num_runs: int) -> None:
    print(f"\n{title}  ({num_runs} run{'s' if num_runs > 1 else ''})")
    print(f"{'metric':<16}{'mean':>10}{'std':>10}")
    for metric in metrics:
        print(f"{metric:<16}{summary[metric]['mean']:>10.4f}"
              f"{summary[metric]['std']:>10.4f}")
    print(f"{'step time (ms)':<16}"
          f"{summary['epoch_time_ms']['median']:>10.2f}")


def _load_resume(args: argparse.Namespace, clustering: bool) -> dict | None:
    """The checkpoint to go on from. Its model, settings and input are
    used; a flag that says otherwise is refused, never ignored."""
    if args.resume is None:
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
    if args.seeds not in (None, 1):
        raise UsageError("--resume goes on with one run: drop --seeds")
    saved = {**extra["config"], **payload["spec"], "preset":
             extra.get("preset"), "seed": extra["config"].get("seed"),
             **{name: extra.get(name) for name in INPUT_FLAGS},
             **{name: extra.get(name) for name in ("val_ratio",
                                                   "test_ratio")}}
    for name, value in saved.items():
        given = getattr(args, name, None)
        if name in ("epochs", "device") or given is None:
            continue
        if value is not None and given != value:
            raise UsageError(f"--{name.replace('_', '-')} {given} conflicts "
                             f"with the checkpoint's {value}; drop the flag "
                             f"to resume, or start a new run without "
                             f"--resume")
    for name in ("model", "preset", "seed", *INPUT_FLAGS, "val_ratio",
                 "test_ratio"):
        if hasattr(args, name) and saved.get(name) is not None:
            setattr(args, name, saved[name])
    for name in ("directed", "weighted"):  # the data as it was trained on
        if extra.get(name) and hasattr(args, name):
            setattr(args, name, extra[name])
    return payload


def _resumed_settings(args: argparse.Namespace, payload: dict) -> Settings:
    """The checkpoint's settings; ``--epochs`` may extend the run."""
    fields = dict(payload["extra"]["config"])
    fields["progress"] = not args.quiet
    for name in ("epochs", "device"):
        if getattr(args, name) is not None:
            fields[name] = getattr(args, name)
    settings = Settings(ModelSpec(**payload["spec"]), TrainConfig(**fields))
    done = int(payload["trainer"].get("epochs_done", 0))
    if done >= settings.config.epochs:
        raise UsageError(f"the checkpoint has trained {done} epochs already:"
                         f" pass --epochs above that to go on")
    log.info("resuming at epoch %d of %d", done + 1, settings.config.epochs)
    return settings


def _fill_defaults(args: argparse.Namespace) -> None:
    for name, value in DEFAULTS.items():
        if hasattr(args, name) and getattr(args, name) is None:
            setattr(args, name, value)
    if args.seed + args.seeds - 1 > 2 ** 32 - 1:
        raise UsageError(f"--seed {args.seed} with --seeds {args.seeds} "
                         f"runs past the largest seed, 2**32 - 1")


def _check_extras(args: argparse.Namespace) -> None:
    """Refuse before any work what needs an extra that is missing."""
    if args.log_dir is not None:
        from .logs import check_available
        check_available()
    if (args.nproc or 1) > 1 or under_torchrun():
        if args.model in ("arga", "argva"):
            raise UsageError("data-parallel training (--nproc, torchrun) "
                             "covers gae and vgae")
        if args.resume is not None:
            raise UsageError("--resume goes on in one process: drop --nproc")
    if args.plot is not None and importlib.util.find_spec("matplotlib") \
            is None:
        raise ValueError("--plot needs matplotlib: pip install "
                         "'pyg-vgae[plot]'")


def _outputs(args: argparse.Namespace) -> dict:
    inputs = {"--dataset": args.dataset, "--features": args.features,
              "--resume": args.resume, "--config": args.config}
    return check_outputs({"--json": args.json, "--plot": args.plot,
                          "--save": args.save, "--log-dir": args.log_dir},
                         inputs)


def _directed(args: argparse.Namespace) -> bool:
    """``--directed``: directed data and tasks, with a directed decoder
    (source_target) unless one is named; a symmetric one is allowed, as a
    baseline, with a log line."""
    if not getattr(args, "directed", False):
        return False
    if args.decoder is None:
        args.decoder = "source_target"
    elif args.decoder not in DIRECTED_DECODERS:
        log.info("decoder '%s' is symmetric: it scores the biased-negatives "
                 "task at 50%% AUC by construction", args.decoder)
    return True


def _normalize(args: argparse.Namespace) -> bool:
    if args.normalize_features is not None:
        return args.normalize_features
    return preset_data(args.preset, args.model)["normalize_features"]


def command_train(args: argparse.Namespace, clustering: bool) -> int:
    """``train`` / ``cluster``; with ``--nproc N`` the same command in N
    processes, under torchrun one process of several."""
    if (args.nproc or 1) > 1 and not under_torchrun():
        _apply_config(args)
        _fill_defaults(args)
        _outputs(args)
        _check_extras(args)
        try:  # before the processes start: refused once, not per process
            uses_cuda(args.device, args.nproc)
        except ValueError as error:
            raise UsageError(str(error)) from None
        return relaunch(args.argv, args.nproc)
    if under_torchrun():
        with process_group(args.device) as device:
            args.device = device
            _train_and_report(args, clustering)
        return 0
    _train_and_report(args, clustering)
    return 0


def _train_and_report(args: argparse.Namespace, clustering: bool) -> None:
    exact = _apply_config(args)
    resume = _load_resume(args, clustering)
    _fill_defaults(args)
    outputs = _outputs(args)
    _check_extras(args)
    normalize = _normalize(args)
    directed = _directed(args)
    weighted = getattr(args, "weighted", None)
    data = load_dataset(args.dataset, args.root, args.features, normalize,
                        directed=directed, weighted=weighted is not None)
    if clustering and getattr(data, "y", None) is None:
        raise UsageError(f"dataset '{data.name}' has no node labels to score "
                         f"clusters against")
    log.info("dataset %s: %d nodes, %d edges, %d features", data.name,
             data.num_nodes, data.num_edges // 2, data.num_features)
    runs, trainer, settings = [], None, None
    for seed in range(args.seed, args.seed + args.seeds):
        if resume is not None:
            settings = _resumed_settings(args, resume)
            seed = settings.config.seed
        else:
            settings = resolve_settings(args, data.num_features, exact,
                                        data)
        run, trainer = _train_seed(args, data, settings, seed, resume,
                                   clustering)
        runs.append(run)
    _report(args, data, runs, settings, trainer, outputs, clustering,
            normalize)


def _train_seed(args, data, settings: Settings, seed: int,
                resume: dict | None, clustering: bool):
    logger = None
    if args.log_dir is not None:
        from .logs import TensorBoardLogger
        logger = TensorBoardLogger(args.log_dir, f"seed_{seed}")
    try:
        run, trainer = run_seed(
            data, settings, seed, clustering=clustering,
            trainer_class=DistributedTrainer if under_torchrun() else Trainer,
            val_ratio=getattr(args, "val_ratio", 0.05),
            test_ratio=getattr(args, "test_ratio", 0.10),
            num_clusters=getattr(args, "clusters", None), resume=resume,
            directed=getattr(args, "directed", False) or None,
            callbacks=(logger, ) if logger else ())
        if logger is not None:
            logger.add_embedding(trainer.embed(data),
                                 getattr(data, "y", None))
    finally:
        if logger is not None:
            logger.close()
    if run.get("stopped"):
        log.info("seed %d: %s", run["seed"], run["stopped"])
    if not args.quiet and is_main_process():
        shown = {k: round(v, 4) for k, v in run.items()
                 if isinstance(v, float) and k != "seconds"}
        print(f"seed {run['seed']}: {shown}", file=sys.stderr)
    return run, trainer


def _report(args, data, runs: list[dict], settings: Settings,
            trainer: Trainer, outputs: dict, clustering: bool,
            normalize: bool) -> None:
    """Print the table; write the JSON, picture and checkpoint asked for
    (the main process only)."""
    if not is_main_process():
        return
    metrics = ("acc", "nmi", "ari", "f1") if clustering else (
        "test_auc", "test_ap", *[key for key in runs[0] if key.startswith(
            ("test_hits@", "test_biased_", "test_bidirectional_",
             "test_weight_"))])
    summary = summarise(runs, metrics)
    title = (f"{args.model.upper()} on {data.name} "
             f"({'clustering' if clustering else 'link prediction'}, "
             f"preset {args.preset})")
    _print_table(title, summary, metrics, len(runs))
    histories = [run.pop("history") for run in runs]
    task = "cluster" if clustering else "link"
    split = {} if clustering else {"val_ratio": args.val_ratio,
                                   "test_ratio": args.test_ratio}
    inputs = {"dataset": args.dataset, "root": args.root,
              "features": args.features, "normalize_features": normalize,
              "directed": getattr(args, "directed", False) or None,
              "weighted": getattr(args, "weighted", None)}
    if outputs["--json"] is not None:
        config = {"preset": args.preset, **asdict(settings.spec),
                  **asdict(settings.config), "seeds": args.seeds,
                  "first_seed": args.seed, **split}
        if args.resume:
            config["resumed_from"] = str(args.resume)
        for key in ("seed", "progress"):
            config.pop(key, None)
        report = {"model": args.model, "dataset": data.name, "task": task,
                  "input": inputs, "config": config, "runs": runs,
                  "summary": summary, "versions": _versions()}
        atomic_write(outputs["--json"], lambda tmp: Path(tmp).write_text(
            json.dumps(report, indent=2)))
        log.info("wrote %s", outputs["--json"])
    if outputs["--plot"] is not None:
        from .plots import plot_run
        plot_run(outputs["--plot"], histories, trainer.embed(data).cpu(),
                 getattr(data, "y", None), title=title)
        log.info("wrote %s", outputs["--plot"])
    if outputs["--save"] is not None:
        save(outputs["--save"], trainer.model, settings.spec,
             extra={"config": asdict(settings.config), "task": task,
                    "preset": args.preset, **inputs, **split},
             trainer_state=trainer.state_dict())
        log.info("wrote %s", outputs["--save"])


def command_embed(args: argparse.Namespace) -> None:
    outputs = check_outputs({"--out": args.out}, {
        "--checkpoint": args.checkpoint, "--dataset": args.dataset,
        "--features": args.features})
    payload = load_checkpoint(args.checkpoint)
    extra = payload.get("extra", {})
    dataset = args.dataset or extra.get("dataset")
    if dataset is None:
        raise UsageError(f"'{args.checkpoint}' records no dataset (it was "
                         f"saved from the Python API): pass --dataset")
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
    out = outputs["--out"]
    if out.suffix == ".npy":
        atomic_write(out, lambda tmp: _save_npy(tmp, z.numpy()))
    else:
        atomic_write(out, lambda tmp: torch.save(z, tmp))
    log.info("wrote %d x %d embeddings to %s", z.size(0), z.size(1), out)


def _save_npy(path: str, array: np.ndarray) -> None:
    with open(path, "wb") as handle:  # np.save(path) would append ".npy"
        np.save(handle, array)


def command_score(args: argparse.Namespace) -> None:
    """``score``: train on the whole graph with an attribute decoder and
    write one anomaly score per node."""
    from .attributes import anomaly_scores
    _fill_defaults(args)
    for flag, value in (("--seeds", args.seeds != 1),
                        ("--nproc", args.nproc not in (None, 1)),
                        ("--resume", args.resume), ("--config", args.config)):
        if value:
            raise UsageError(f"score trains one model from scratch in one "
                             f"process: drop {flag}")
    outputs = check_outputs({"--scores": args.scores, "--json": args.json,
                             "--save": args.save, "--plot": args.plot,
                             "--log-dir": args.log_dir},
                            {"--dataset": args.dataset,
                             "--features": args.features})
    data = load_dataset(args.dataset, args.root, args.features,
                        _normalize(args))
    settings = resolve_settings(args, data.num_features, data=data)
    settings.spec.attr_decoder = True
    settings.config.feature_weight = args.feature_weight
    run, trainer = run_seed(data, settings, args.seed, clustering=True)
    z = trainer.embed(data)
    scores = anomaly_scores(trainer.model, z, data.x.to(z.device),
                            data.edge_index.to(z.device),
                            alpha=args.alpha).cpu()
    path = outputs["--scores"]
    if path.suffix == ".npy":
        atomic_write(path, lambda tmp: _save_npy(tmp, scores.numpy()))
    elif path.suffix == ".csv":
        atomic_write(path, lambda tmp: np.savetxt(
            tmp, np.column_stack([np.arange(len(scores)), scores.numpy()]),
            delimiter=",", header="node,score", comments="",
            fmt=["%d", "%.6g"]))
    else:
        atomic_write(path, lambda tmp: torch.save(scores, tmp))
    log.info("wrote %d scores to %s (top node %d)", len(scores), path,
             int(scores.argmax()))
