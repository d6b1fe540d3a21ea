#!/bin/sh
# test_null_err_coverage.sh SOURCE: every function that a public header
# declares with an xb_error * parameter is called by tests/test_null_err.c
# (which calls each on a failing path with err == NULL).  A new public
# function that can fail must be added there.
set -eu
src=$1
status=0
for h in $(find "$src" -path "$src/build*" -prune -o -path '*/include/xb_*.h' -print); do
  # statements (split at ';') that take an xb_error *, comments removed
  # (perl is part of every Debian system)
  perl -0777 -ne 's{/\*.*?\*/}{ }gs; s{//[^\n]*}{}g; s{^[ \t]*#[^\n]*}{}gm;
    for my $st (split /;/) { next if $st =~ /typedef/ || $st !~ /xb_error \*/;
      print "$1\n" if $st =~ /([A-Za-z_][A-Za-z0-9_]*)\s*\((?!\s*\*)/ }' "$h"
done | grep -v '^xb_error_set$\|^xb_error_prefix$' | LC_ALL=C sort -u > "${TMPDIR:-/tmp}/null_err_fns.$$"
n=0
while read -r fn; do
  n=$((n + 1))
  if ! grep -q "\\b$fn(" "$src/tests/test_null_err.c"; then
    echo "test_null_err_coverage: $fn takes an xb_error * but tests/test_null_err.c never calls it" >&2
    status=1
  fi
done < "${TMPDIR:-/tmp}/null_err_fns.$$"
rm -f "${TMPDIR:-/tmp}/null_err_fns.$$"
[ $status = 0 ] && echo "test_null_err_coverage: ok ($n functions)"
exit $status
