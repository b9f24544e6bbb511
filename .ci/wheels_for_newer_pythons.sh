#!/usr/bin/env bash
# Koning Klant accepts Python 3.11–3.13, but CI machines have only 3.11: this proves the rest
# the way it can. Every dependency pinned in pyproject.toml (the dev extra too) must come as a
# wheel (binary or pure) for each newer Python; a package published only as an sdist would need
# a compiler there, so it fails here. First each pin alone (--no-deps, so a failure names the
# pin), then with everything it pulls in (extras such as psycopg[binary] included).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
mapfile -t pins < <("$PYTHON" -c '
import tomllib
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
for pin in project["dependencies"] + project["optional-dependencies"]["dev"]:
    print(pin)
')
for version in 3.12 3.13; do
  target="$(mktemp -d)"
  for pin in "${pins[@]}"; do
    "$PYTHON" -m pip download --quiet --disable-pip-version-check --python-version "$version" \
      --only-binary=:all: --no-deps -d "$target" "$pin" >/dev/null 2>"$target/error.log" \
      || { echo "no wheel of $pin for Python $version:"; tail -3 "$target/error.log"; exit 1; }
  done
  "$PYTHON" -m pip download --quiet --disable-pip-version-check --python-version "$version" \
    --only-binary=:all: -d "$target" "${pins[@]}" >/dev/null 2>"$target/error.log" \
    || { echo "a dependency has no wheel for Python $version:"; tail -5 "$target/error.log"; exit 1; }
  echo "Python $version: $(ls "$target" | grep -c '\.whl$') wheels for ${#pins[@]} pins"
  rm -rf "$target"
done
