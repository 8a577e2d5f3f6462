#!/usr/bin/env bash
# Publishes one release's multi-arch image in one repository: combines the per-platform images
# that release.yml pushed by digest into one index, proves that every platform it names is the
# image Trivy scanned, and only then puts the version tag on it. Prints the index digest.
#
# Why the proof compares image configurations, not digests:
# - The index is created here. No scanner saw it (Trivy reads one platform of an index anyway),
#   so there is nothing to compare its digest with.
# - A platform's manifest digest differs between the scanned export (loaded into the runner's
#   Docker, no attestations) and the pushed one (compressed layers, SBOM and provenance).
# - The image configuration is the same object in both: it lists the uncompressed digest of
#   every layer plus user, entrypoint and environment. Equal configuration digests mean the
#   filesystem and settings Trivy scanned are the ones published. A build that missed the
#   cache and recompiled Swift produces different layers, hence a different configuration.
# The attestation manifests the index also carries describe the images and never run; they are
# left out of the comparison.
#
# Re-runs: the index of the same per-platform digests is byte-identical, so a tag already on it
# is accepted; a tag on anything else is an error (a version is released once; ECR tags are
# immutable, and GHCR's must not move).
#
# usage: publish-index.sh REPOSITORY VERSION PLATFORM PUSHED_DIGEST SCANNED_CONFIG...
#   one triple per platform, e.g. linux/amd64 sha256:<pushed> sha256:<scanned image config>
#   Needs `docker buildx` logged in to REPOSITORY's registry, and jq.
set -euo pipefail
# A failing registry read inside $(...) must stop the script, not yield an empty digest.
shopt -s inherit_errexit

fail() { echo "::error::$*" >&2; exit 1; }

(($# >= 5 && ($# - 2) % 3 == 0)) || fail "usage: $0 REPOSITORY VERSION (PLATFORM PUSHED_DIGEST SCANNED_CONFIG)..."
repository=$1 version=$2
shift 2

digest_pattern='^sha256:[0-9a-f]{64}$'
sources=() expected=()
while (($#)); do
  platform=$1 pushed=$2 scanned=$3
  shift 3
  [[ $pushed =~ $digest_pattern ]] || fail "$platform: pushed digest '$pushed' is not a sha256 digest"
  [[ $scanned =~ $digest_pattern ]] || fail "$platform: scanned configuration '$scanned' is not a sha256 digest"
  sources+=("$repository@$pushed")
  expected+=("$platform $scanned")
done

# The GHCR package page shows a multi-arch image's description from its index.
annotations=(
  --annotation "index:org.opencontainers.image.source=$GITHUB_SERVER_URL/$GITHUB_REPOSITORY"
  --annotation "index:org.opencontainers.image.description=Petrel HTTP microservice"
  --annotation "index:org.opencontainers.image.version=$version"
)

# --dry-run prints the index exactly as a push would send it (plus a newline, which $(...)
# drops), so its digest is known before anything is tagged.
index=$(docker buildx imagetools create --dry-run "${annotations[@]}" "${sources[@]}")
index_digest="sha256:$(printf '%s' "$index" | sha256sum | cut -d' ' -f1)"

published=$(
  jq -r '.manifests[]
    | select(.annotations["vnd.docker.reference.type"] != "attestation-manifest")
    | "\(.platform.os)/\(.platform.architecture) \(.digest)"' <<<"$index" |
    while read -r platform manifest; do
      config=$(docker buildx imagetools inspect --raw "$repository@$manifest" | jq -r .config.digest)
      [[ $config =~ $digest_pattern ]] || fail "$repository@$manifest ($platform) has no image configuration"
      echo "$platform $config"
    done | sort
)
scanned=$(printf '%s\n' "${expected[@]}" | sort)
if [ "$published" != "$scanned" ]; then
  fail "$repository: the index would publish image configurations (platform config)" \
    "[${published//$'\n'/; }] but Trivy scanned [${scanned//$'\n'/; }]. A publish build that" \
    "missed the build cache rebuilds different layers: re-run all jobs of the release."
fi

tagged_digest() { # tagged_digest REF — the digest REF names, nothing when the tag does not exist
  local answer
  if answer=$(docker buildx imagetools inspect "$1" --format '{{json .Manifest}}' 2>&1); then
    jq -r .digest <<<"$answer"
  elif [[ $answer != *"not found"* ]]; then
    fail "cannot read $1: $answer"
  fi
}

existing=$(tagged_digest "$repository:$version")
if [ -z "$existing" ]; then
  docker buildx imagetools create "${annotations[@]}" --tag "$repository:$version" "${sources[@]}" >&2
  existing=$(tagged_digest "$repository:$version")
  [ "$existing" = "$index_digest" ] ||
    fail "$repository:$version names $existing after the push, not the verified index $index_digest"
elif [ "$existing" != "$index_digest" ]; then
  fail "$repository:$version already names $existing, not $index_digest; a version is released once"
fi
echo "$index_digest"
