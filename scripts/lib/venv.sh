# Sourced by scripts/serve and scripts/test: `ensure_venv NAME EXTRAS` sets up $ROOT/.venv from the lock file
# requirements/NAME.txt and the project with EXTRAS, only when .venv is missing or pyproject.toml / the lock
# changed since (a stamp in .venv), so that a restart needs no package index.
ensure_venv() {
  local name="$1" extras="$2"
  local venv="$ROOT/.venv" lock="$ROOT/requirements/$name.txt"
  local stamp="$venv/.report-bot-$name.stamp"
  local want
  want="$(cat "$ROOT/pyproject.toml" "$lock" | sha256sum | cut -d' ' -f1) $extras"
  if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
  fi
  rm -f "$venv"/.report-bot-*.stamp  # the other lock's stamp no longer holds once this one installs
  echo "setting up $venv from requirements/$name.txt ..." >&2
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$lock" \
    -e "$ROOT[$extras]" --config-settings editable_mode=compat
  echo "$want" >"$stamp"
}
