#!/bin/sh
# Register the S3 snapshot repository (idempotent), take one snapshot, keep the newest $KEEP.
# Runs in curlimages/curl (busybox sh, awk, grep). Any failed call fails the Job and prints
# Elasticsearch's answer (registration verifies that every node can write the bucket, so a
# missing IRSA role or bucket permission shows up here).
set -eu
# api CURL-ARGS... — Elasticsearch's answer on stdout; on an HTTP error, on stderr and status 1.
# A later --max-time in CURL-ARGS overrides the default (curl keeps the last one).
api() {
  answer=$(curl -sS --fail-with-body --max-time 60 -H 'Content-Type: application/json' "$@") ||
    { echo "$answer" >&2; return 1; }
  echo "$answer"
}

api -X PUT "$ES_URL/_snapshot/$REPOSITORY" \
  -d "{\"type\":\"s3\",\"settings\":{\"bucket\":\"$BUCKET\",\"base_path\":\"$BASE_PATH\"}}" >/dev/null

name="petrel-$(date -u +%Y%m%d-%H%M%S)"
result=$(api --max-time 1500 -X PUT "$ES_URL/_snapshot/$REPOSITORY/$name?wait_for_completion=true" \
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
