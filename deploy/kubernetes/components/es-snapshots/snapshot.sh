#!/bin/sh
# Register the snapshot repository (idempotent), take one snapshot, keep the newest $KEEP.
# Runs in curlimages/curl (busybox sh, awk, grep). Any failed call fails the Job.
set -eu
api() { curl -fsS --max-time 60 -H 'Content-Type: application/json' "$@"; }

api -X PUT "$ES_URL/_snapshot/$REPOSITORY" \
  -d "{\"type\":\"fs\",\"settings\":{\"location\":\"$REPOSITORY_LOCATION\",\"compress\":true}}" >/dev/null

name="petrel-$(date -u +%Y%m%d-%H%M%S)"
result=$(curl -fsS --max-time 1500 -H 'Content-Type: application/json' -X PUT \
  "$ES_URL/_snapshot/$REPOSITORY/$name?wait_for_completion=true" \
  -d "{\"indices\":\"$INDICES\",\"include_global_state\":false}")
echo "$result" | grep -q '"state":"SUCCESS"' || { echo "snapshot $name did not succeed: $result" >&2; exit 1; }
echo "snapshot $name: SUCCESS"

# Oldest first; everything before the newest $KEEP goes.
api "$ES_URL/_cat/snapshots/$REPOSITORY?h=id&s=end_epoch" |
  awk -v keep="$KEEP" '{ id[NR] = $1 } END { for (i = 1; i <= NR - keep; i++) print id[i] }' |
  while read -r old; do
    api -X DELETE "$ES_URL/_snapshot/$REPOSITORY/$old" >/dev/null
    echo "deleted $old (retention: newest $KEEP)"
  done
