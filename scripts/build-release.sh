#!/usr/bin/env bash
# Builds what ships: the release configuration. The Dockerfile, .ci/run and scripts/bench.sh all
# build through here, so the image, the fleet test and the benchmark run the same binary.
#
#   scripts/build-release.sh                 # the petrel product
#   scripts/build-release.sh petrel HelloBaseline
#   VERSION=1.2.3 GIT_COMMIT=abc BUILD_DATE=2026-01-01T00:00:00Z scripts/build-release.sh
#
# - The Swift runtime and Foundation are linked in statically (--static-swift-stdlib), so the
#   runtime image needs no toolchain libraries; SQLite and libstdc++ stay shared libraries from
#   the image's packages, where security updates and image scanners see them.
# - No symbol is exported (the toolchain's static link exports every one, which makes ld.so read
#   a large dynamic symbol table at start), and relative relocations are packed (DT_RELR, which
#   needs lld, the toolchain's linker).
# Prints the directory the binaries are in.
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"
products=("$@"); [ ${#products[@]} -gt 0 ] || products=(petrel)

# Its own build directory, so these flags never flip a plain `swift build -c release` back and forth.
configuration=(--scratch-path "$REPO_ROOT/.build/shipped" -c release --static-swift-stdlib)
flags=(
  "${configuration[@]}"
  -Xswiftc -use-ld=lld
  -Xlinker --no-export-dynamic
  -Xlinker -z -Xlinker pack-relative-relocs
)

# /version and petrel_build_info (Sources/PetrelBuildInfo); unset ones keep their defaults.
[ -z "${VERSION:-}" ] || flags+=(-Xcc "-DPETREL_VERSION=\"$VERSION\"")
[ -z "${GIT_COMMIT:-}" ] || flags+=(-Xcc "-DPETREL_GIT_COMMIT=\"$GIT_COMMIT\"")
[ -z "${BUILD_DATE:-}" ] || flags+=(-Xcc "-DPETREL_BUILD_DATE=\"$BUILD_DATE\"")

for product in "${products[@]}"; do
  swift build "${flags[@]}" --product "$product" >&2
done
swift build "${configuration[@]}" --show-bin-path
