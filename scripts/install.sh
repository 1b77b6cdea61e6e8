#!/usr/bin/env bash
# Install the package with every extra into the active Python environment.
# The README's test command and CI (.ci/run) run this, then pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

python -m pip install -q --upgrade pip
# The CPU build of torch first, so that nothing pulls a CUDA build.
python -m pip install -q torch==2.13.0
# torch-scatter / torch-sparse (the `sparse` extra) have only sources on
# PyPI, half an hour to build on two cores; take prebuilt wheels from
# ../shared/wheels where that folder exists.
wheels=()
[ -d ../shared/wheels ] && wheels=(--find-links ../shared/wheels)
python -m pip install -q "${wheels[@]}" \
    -e ".[test,plot,docs,sparse,ogb,tensorboard]"
