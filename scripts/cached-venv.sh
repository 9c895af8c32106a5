# Sourced by spark/bin/setup and scripts/policy.sh. Python venvs kept once per machine, like the
# trivy build: one per requirements hash under $AQB_CACHE/venvs (default
# ${XDG_CACHE_HOME:-~/.cache}/azure-quarterly-batch), built under a lock and linked from the clone,
# so a fresh clone skips the install (about 2 minutes of pip on 2 cores for both venvs).
AQB_CACHE="${AQB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/azure-quarterly-batch}"

# cached_venv <link> <name> <hash> <python> <install...>
# Makes <link> a symlink to the machine's venv for <name> and <hash>, creating the venv with
# <python> and running `<install...> <venv>` first when the cache has no complete one. A venv is
# complete only once its install succeeded, so an interrupted build is redone, never used.
cached_venv() {
  local link="$1" name="$2" hash="$3" python="$4"; shift 4
  local target="$AQB_CACHE/venvs/$name-${hash:0:16}"
  mkdir -p "$AQB_CACHE/venvs"
  (
    flock 9
    if [ ! -f "$target/.complete" ]; then
      echo "setup: creating the $name venv in $target (once per machine)" >&2
      rm -rf "$target"
      "$python" -m venv "$target" && "$@" "$target" && touch "$target/.complete"
    fi
  ) 9>"$target.lock" || return 1
  if [ "$(readlink "$link" 2>/dev/null)" != "$target" ]; then
    rm -rf "$link"
    ln -s "$target" "$link"
  fi
}
