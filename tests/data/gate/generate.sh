#!/bin/sh
# Regenerates the committed coverage.py and pytest reports of tests/data/gate/shop.
# Needs a Python with coverage and pytest: python -m venv /tmp/venv-gate &&
# /tmp/venv-gate/bin/pip install coverage pytest; then: sh tests/data/gate/generate.sh
set -eu
PY=${PY:-/tmp/venv-gate/bin/python}
cd "$(dirname "$0")/shop"
"$PY" -m coverage run --rcfile=../coveragerc -m pytest --junitxml=junit.xml -q -p no:cacheprovider || true
"$PY" -m coverage xml --rcfile=../coveragerc -o coverage.xml
"$PY" -m coverage json --rcfile=../coveragerc -o coverage.json --show-contexts --pretty-print
"$PY" -m coverage lcov --rcfile=../coveragerc -o coverage.lcov
rm -f .coverage
find . -name __pycache__ -type d -exec rm -rf {} +
