#!/usr/bin/env bash
# Keeps the build cache outside the checkout ($CARGO_TARGET_DIR) from filling the disk.
#
# Cargo never deletes what it built before: every checkout path, feature set or profile change
# leaves another copy of each linked executable (test binaries, the server) and of the
# incremental cache of our own crate. A CI machine that clones into new folders day after day
# once filled its disk that way, and the linker died of SIGBUS in the middle of `make unit`.
#
# - Linked executables under */deps and incremental sessions not touched for $QUIRE_PRUNE_DAYS
#   days (default 3) are removed: libraries (.rlib, .rmeta) of dependencies are kept, so nothing
#   is recompiled, at most relinked.
# - Below $QUIRE_MIN_FREE_GB free (default 6), every linked executable and incremental session
#   goes, whatever its age; if that is still not enough, this fails with a message that says so,
#   before a build fails in a way that does not.
set -euo pipefail

target="${CARGO_TARGET_DIR:-$HOME/.cache/quire/target}"
days="${QUIRE_PRUNE_DAYS:-3}"
min_free_gb="${QUIRE_MIN_FREE_GB:-6}"

say() { printf '\033[1mprune:\033[0m %s\n' "$*"; }
free_gb() { df -Pk "$1" | awk 'NR == 2 { printf "%d", $4 / 1048576 }'; }

[ -d "$target" ] || exit 0

# Linked executables: files with the exec bit directly in a deps folder, named `<name>-<hash>`.
executables() {
  find "$target" -path '*/deps/*' -type f -perm -u+x -regextype posix-extended \
    -regex '.*/[A-Za-z0-9_]+-[0-9a-f]{16}' "$@"
}
# Incremental sessions: the folders directly inside an incremental folder, one per crate build.
sessions() { find "$target" -type d -path '*/incremental/*' -prune "$@"; }

remove() {
  local what=$1 count=0 bytes=0 path size
  while IFS= read -r path; do
    size=$(du -sk "$path" | cut -f1)
    rm -rf "$path" "$path.d"
    count=$((count + 1))
    bytes=$((bytes + size))
  done
  [ "$count" -eq 0 ] || say "removed $count $what ($((bytes / 1024)) MB)"
}

executables -mtime +"$days" | remove "executables unused for $days days"
sessions -mtime +"$days" | remove "incremental caches unused for $days days"

if [ "$(free_gb "$target")" -lt "$min_free_gb" ]; then
  say "less than $min_free_gb GB free: removing every linked executable and incremental cache"
  executables | remove "executables"
  sessions | remove "incremental caches"
fi

left=$(free_gb "$target")
if [ "$left" -lt "$min_free_gb" ]; then
  echo "prune: only $left GB free on the disk of $target; a build needs about $min_free_gb GB." >&2
  echo "prune: the biggest folders in $(dirname "$target"):" >&2
  du -sh "$(dirname "$target")"/* 2>/dev/null | sort -h | tail -n 5 >&2
  exit 1
fi
