#!/bin/sh
# test_api_docs.sh LIBXBAR.so SOURCE: docs/api.md documents the public API.
#   1. every xb_ symbol that libxbar.so exports is named in docs/api.md;
#   2. every function and extern object the public headers declare is exported
#      (the version script keeps nothing public back);
#   3. every function docs/api.md shows as a call or declaration exists.
# Each failure lists the names, so the fix is obvious.
set -eu
lib=$1 src=$2
doc=$src/docs/api.md
[ -f "$doc" ] || { echo "test_api_docs: $doc is missing" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0

nm -D --defined-only "$lib" | awk '{print $NF}' | grep '^xb_' | LC_ALL=C sort -u > "$tmp/exported"
[ -s "$tmp/exported" ] || { echo "test_api_docs: $lib exports no xb_ symbol" >&2; exit 1; }
headers=$(find "$src" -path "$src/build*" -prune -o -path '*/include/xb_*.h' -print)
sh "$src/tools/public_symbols.sh" $headers > "$tmp/declared"

missing=""
for s in $(cat "$tmp/exported"); do
  grep -q "\\b$s\\b" "$doc" || missing="$missing $s"
done
if [ -n "$missing" ]; then
  echo "test_api_docs: exported by libxbar.so but not documented in docs/api.md:" >&2
  printf '  %s\n' $missing >&2
  status=1
fi

hidden=$(LC_ALL=C comm -23 "$tmp/declared" "$tmp/exported")
if [ -n "$hidden" ]; then
  echo "test_api_docs: declared in a public header but not exported by libxbar.so:" >&2
  printf '  %s\n' $hidden >&2
  status=1
fi

# Functions in the document: "xb_name(" anywhere; static inline helpers of the
# headers and function-like macros count as existing.
grep -ho 'static inline [^(]*\bxb_[a-z0-9_]*(' $headers | grep -o 'xb_[a-z0-9_]*' > "$tmp/inline" || true
grep -o '\bxb_[a-z0-9_]*(' "$doc" | tr -d '(' | LC_ALL=C sort -u > "$tmp/doc_calls"
stale=""
for s in $(cat "$tmp/doc_calls"); do
  grep -qx "$s" "$tmp/exported" "$tmp/inline" || stale="$stale $s"
done
if [ -n "$stale" ]; then
  echo "test_api_docs: docs/api.md shows functions that do not exist:" >&2
  printf '  %s\n' $stale >&2
  status=1
fi
[ $status = 0 ] && echo "test_api_docs: $(wc -l < "$tmp/exported") exported symbols, all documented"
exit $status
