#!/usr/bin/env bash
# Builds what ships: the release configuration, linked for a small resident set. The Dockerfile,
# .ci/run and scripts/bench.sh all build through here, so the image, the fleet test and the
# benchmark run the same binary.
#
#   scripts/build-release.sh                 # the petrel product
#   scripts/build-release.sh petrel HelloBaseline
#   VERSION=1.2.3 GIT_COMMIT=abc BUILD_DATE=2026-01-01T00:00:00Z scripts/build-release.sh
#
# How the link is shaped, and why (docs/architecture.md, "Memory"):
# - the Swift runtime and Foundation are linked in statically, so only the pages Petrel runs
#   are mapped, instead of every page the kernel faults around in the shared libraries;
# - no symbol is exported (the toolchain's static link exports every one, which makes ld.so
#   read a large dynamic symbol table at start), and relative relocations are packed (DT_RELR);
# - libstdc++ and SQLite are linked in from their static archives too, for the same reason: as
#   shared libraries they were 2.8 MiB resident (fault-around maps nearly all of both); linked
#   in, the order file places the functions Petrel calls with its other hot code;
# - every function gets its own section, and scripts/link/petrel.order puts the functions a
#   running Petrel executes next to each other, so the kernel's 64 KiB fault-around maps code
#   Petrel uses rather than its neighbours. scripts/link/text-layout.ld does the same for the
#   compiler's unnamed helper functions, which an order file cannot name.
# An outdated order file costs memory, never correctness: symbols it names that no longer
# exist are skipped. Under CI=true the build fails when most of them are gone.
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"
LINK="$REPO_ROOT/scripts/link"
products=("$@"); [ ${#products[@]} -gt 0 ] || products=(petrel)

# Its own build directory: these flags change every object file, and a build directory shared with
# plain `swift build -c release` would flip between the two configurations (and the Swift driver
# can keep objects compiled without -function-sections).
configuration=(--scratch-path "$REPO_ROOT/.build/shipped" -c release --static-swift-stdlib)
flags=(
  "${configuration[@]}"
  -Xswiftc -Xfrontend -Xswiftc -function-sections -Xcc -ffunction-sections -Xcc -fdata-sections
  -Xswiftc -use-ld=lld
  -Xlinker --no-export-dynamic
  -Xlinker -z -Xlinker pack-relative-relocs
  -Xlinker "--symbol-ordering-file=$LINK/petrel.order" -Xlinker --no-warn-symbol-ordering
  -Xlinker -T -Xlinker "$LINK/text-layout.ld"
)
# The toolchain's static-stdlib-args.lnk asks for -lstdc++ and GRDB's module map for -lsqlite3,
# and the linker takes a shared library over an archive. A linker script named like the shared
# library, in a directory searched first, hands it the archive instead.
static_archives="$REPO_ROOT/.build/shipped-archives"
mkdir -p "$static_archives"
command -v clang >/dev/null || { echo 'error: clang not found: it comes with the Swift toolchain; put its bin directory on PATH' >&2; exit 1; }
for library in libstdc++ libsqlite3; do
  archive="$(clang -print-file-name="$library.a")"
  [ -f "$archive" ] || { printf 'error: %s.a not found: install libstdc++-<gcc version>-dev and libsqlite3-dev\n' "$library" >&2; exit 1; }
  printf 'INPUT("%s")\n' "$archive" >"$static_archives/$library.so"
done
flags+=(-Xswiftc "-L$static_archives")

# /version and petrel_build_info (Sources/PetrelBuildInfo); unset ones keep their defaults.
[ -z "${VERSION:-}" ] || flags+=(-Xcc "-DPETREL_VERSION=\"$VERSION\"")
[ -z "${GIT_COMMIT:-}" ] || flags+=(-Xcc "-DPETREL_GIT_COMMIT=\"$GIT_COMMIT\"")
[ -z "${BUILD_DATE:-}" ] || flags+=(-Xcc "-DPETREL_BUILD_DATE=\"$BUILD_DATE\"")

for product in "${products[@]}"; do
  swift build "${flags[@]}" --product "$product" >&2
done
bin="$(swift build "${configuration[@]}" --show-bin-path)"

# SwiftPM does not relink a product whose objects are unchanged when only a library search path
# changed, so a binary linked before the archives above were in place can survive a rebuild.
for product in "${products[@]}"; do
  dynamic="$(readelf -d "$bin/$product")" || { echo "error: readelf cannot read $bin/$product" >&2; exit 1; }
  if shared="$(grep -oE 'lib(stdc\+\+|sqlite3)\.so[.0-9]*' <<<"$dynamic")"; then
    printf 'error: %s still needs %s from an earlier link; delete it and run this script again\n' "$bin/$product" "${shared//$'\n'/ }" >&2
    exit 1
  fi
done

# How much of the order file this build still has: names change when code or dependencies do.
if printf '%s\n' "${products[@]}" | grep -qx petrel; then
  ordered=$(grep -cv '^#' "$LINK/petrel.order")
  present=$(grep -v '^#' "$LINK/petrel.order" | sort -u | comm -12 - <(nm --defined-only "$bin/petrel" | awk '{print $3}' | sort -u) | wc -l)
  percent=$((100 * present / ordered))
  if [ "$percent" -lt 80 ]; then
    message="scripts/link/petrel.order: only $present of its $ordered symbols ($percent%) are in this build; regenerate it with scripts/link/profile-order.sh"
    [ "${CI:-}" = true ] && { printf 'error: %s\n' "$message" >&2; exit 1; }
    printf 'warning: %s\n' "$message" >&2
  else
    printf '==> link order: %s of %s ordered symbols present (%s%%)\n' "$present" "$ordered" "$percent" >&2
  fi
fi
echo "$bin"
