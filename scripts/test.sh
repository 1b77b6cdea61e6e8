#!/usr/bin/env bash
# Install the package with every extra into the active Python environment
# and run the test suite. The README's test command and CI (.ci/run) both
# run this script; extra arguments go to pytest.
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

# A data root holding Planetoid/, Amazon/, Coauthor/, OGB/; the tests make
# it absolute before anything changes folder.
export PYG_VGAE_DATA="${PYG_VGAE_DATA:-../shared/data}"
python -m pytest -q "$@"
