"""The validation sweep (benchmarks/sweep.py): what a row means and how the
table chooses."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import sweep  # noqa: E402

from pyg_vgae.run import Settings  # noqa: E402


def trials(rows: dict[str, dict[tuple[str, int], float]]) -> list[dict]:
    return [{"setting": name, "dataset": dataset, "seed": seed,
             "val_auc": auc}
            for name, cells in rows.items()
            for (dataset, seed), auc in cells.items()]


@pytest.mark.parametrize("model", ["gae", "vgae"])
def test_the_chosen_row_is_the_best_preset(model):
    # The row the committed sweep table marks as chosen is what `best`
    # trains (up to the sweep's epoch budget where the row has it).
    table = (sweep.RESULTS / f"sweep_{model}.md").read_text().splitlines()
    chosen, = [line.split("|")[1].strip() for line in table
               if line.rstrip().endswith("| chosen |")]
    row = sweep.settings_of(chosen, model, 100)
    best = Settings.from_preset("best", model, 100, progress=False,
                                **sweep._budget(sweep.GRID[chosen]))
    # Dropout between layers does not exist with one layer.
    assert row.spec.num_layers == best.spec.num_layers == 1
    row.spec.dropout = best.spec.dropout
    assert row == best


def test_every_row_is_a_valid_setting_and_stages_10_13_change_one_thing():
    # An unknown field or an invalid value fails here, not hours into a
    # sweep.
    built = {name: sweep.settings_of(name, "gae", 100) for name in sweep.GRID}
    for name in sweep.ADVERSARIAL_GRID:
        sweep.settings_of(name, "argva", 100)
    starts = {"s10 ": "s8 weight average 0.95", "s11 ": "s10 no weight decay",
              "s12 ": "s10 no weight decay", "s13 ": "s13 best"}
    for name, row in sweep.GRID.items():
        if name[:4] in starts and name != "s13 best":
            start_name = starts[name[:4]]
            start = sweep.GRID[start_name]
            changed = {k for k in {**start, **row}
                       if start.get(k) != row.get(k)}
            assert len(changed) == 1, (name, changed)
            assert built[name] != built[start_name] or \
                sweep.normalizes("gae", name)


def test_a_data_option_row_loads_other_data_not_other_settings():
    # Row-normalised features are applied by the loader: the row's model
    # and training settings are its start row's.
    name, start = "s11 normalised features", "s10 no weight decay"
    assert sweep.normalizes("gae", name)
    assert not sweep.normalizes("gae", start)
    assert sweep.settings_of(name, "gae", 100) == \
        sweep.settings_of(start, "gae", 100)


def test_rows_change_the_fixed_base_not_the_current_preset():
    base = sweep.settings_of("base", "gae", 100)
    assert base.spec.num_layers == 2 and base.spec.dropout == 0.7
    assert base.spec.input_dropout == 0.0
    assert base.config.epochs == sweep.BUDGET["epochs"]
    # Stage 13 runs with the preset's own budget: "s13 best" is `best`.
    assert sweep.settings_of("s13 best", "gae", 100).config == \
        Settings.from_preset("best", "gae", 100, progress=False).config
    # A row naming a preset keeps that preset's own epochs.
    paper = sweep.settings_of("paper preset", "argva", 100)
    assert paper.config.epochs == 200 and paper.config.select == "last"


def _render_with(grid: dict, cells: dict) -> dict[str, str]:
    old = dict(sweep.GRID)
    sweep.GRID.clear()
    sweep.GRID.update(grid)
    try:
        table = sweep.render(trials(cells), "gae")
    finally:
        sweep.GRID.clear()
        sweep.GRID.update(old)
    return {line.split("|")[1].strip(): line for line in table.splitlines()
            if line.startswith("| ") and "setting" not in line}


def test_render_ranks_on_every_seed_a_row_ran():
    # "a" leads on seeds 0-2, "b" on seeds 0-4; "c" ran seeds 0-2 only.
    grid = {"a": {}, "b": {}, "c": {}}
    cells = {
        "a": {(d, s): 0.96 if s < 3 else 0.90
              for d in ("X", "Y") for s in range(5)},
        "b": {(d, s): 0.95 for d in ("X", "Y") for s in range(5)},
        "c": {(d, s): 0.99 for d in ("X", "Y") for s in range(3)},
    }
    lines = _render_with(grid, cells)
    assert lines["b"].rstrip().endswith("| chosen |")
    assert "chosen" not in lines["a"] and "chosen" not in lines["c"]
    assert "| 96.00 | 96.00 | 96.00 | 93.60 |" in lines["a"]
    assert "| 99.00 | 99.00 | 99.00 | - |" in lines["c"]


def test_identity_input_detection():
    import torch
    from pyg_vgae.presets import is_identity
    assert is_identity(torch.eye(7))
    assert not is_identity(2 * torch.eye(7))
    assert not is_identity(torch.eye(7) + 0.1)
    assert not is_identity(torch.eye(3, 4))
    assert not is_identity(torch.eye(7).to_sparse())
    assert not is_identity(torch.empty(0, 0)) and not is_identity(None)


def test_the_featureless_sweep_chooses_among_rows_run_on_every_seed():
    import sweep_featureless
    rows = [("best", 0, 0.5), ("best", 1, 0.6),
            ("no input dropout", 0, 0.7), ("no input dropout", 1, 0.65),
            ("no input dropout, width 512", 0, 0.9)]  # one seed only
    table = sweep_featureless.render(
        [{"setting": name, "seed": seed, "val_hits@20": hits, "seconds": 1}
         for name, seed, hits in rows])
    chosen = [line for line in table.splitlines() if "chosen" in line]
    assert len(chosen) == 1 and chosen[0].startswith("| no input dropout |")
    assert "| 67.50 |" in chosen[0]


def test_the_featureless_choice_is_what_best_trains_on_identity_input():
    import sweep_featureless
    from pyg_vgae.presets import IDENTITY_INPUT
    chosen = sweep_featureless.GRID["no input dropout, lr 0.003, 3000 epochs"]
    assert {**sweep_featureless.FEATURELESS_BASE, **chosen} == \
        IDENTITY_INPUT["best"]["gae"]
    # On identity input, `best` trains what that row trained.
    from pyg_vgae.presets import preset
    spec, train = preset("best", "gae", identity_input=True)
    assert train["weight_decay"] == 5e-5 and train["lr"] == 0.003
    assert spec["improved"] is False
    assert preset("best", "gae")[1]["weight_decay"] == 0.0
    assert preset("best", "gae")[0]["improved"] is True



def test_a_row_replaces_best_rerun_beside_it_only_beyond_the_noise():
    # "noisy" leads "s9 best" on the mean by less than the standard error
    # of their paired differences; "clear" by more.
    seeds = range(10)
    best = {(d, s): 0.97 + 0.002 * (s % 3) for d in ("X", "Y")
            for s in seeds}
    noisy = {key: auc + (0.004 if key[1] % 2 else -0.0035)
             for key, auc in best.items()}
    lines = _render_with({"s9 best": {}, "noisy": {}},
                         {"s9 best": best, "noisy": noisy})
    assert lines["s9 best"].rstrip().endswith("| chosen |")
    clear = {key: auc + 0.001 for key, auc in best.items()}
    lines = _render_with({"s9 best": {}, "noisy": {}, "clear": {}},
                         {"s9 best": best, "noisy": noisy, "clear": clear})
    assert lines["clear"].rstrip().endswith("| chosen |")
    # Without the preset itself among the rows: the highest mean.
    lines = _render_with({"noisy": {}, "other": {}},
                         {"noisy": noisy, "other": best})
    assert lines["noisy"].rstrip().endswith("| chosen |")
