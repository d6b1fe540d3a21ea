#!/bin/sh
# valgrind_subset.sh XBAR SOURCE WORKDIR: one memcheck run of a representative
# subset of the command: solve with parasitics on each backend (CHOLMOD, KLU
# with an access resistance and node voltages, the gate-input column path,
# Newton with NMOS access devices), a netlist, and inference on three JPEGs.
# Any memcheck error or leak fails (--error-exitcode); the only suppressions
# are third-party thread pools (.ci/valgrind.supp explains them).
set -eu
xbar=$1 src=$2 work=$3
command -v valgrind > /dev/null || { echo "valgrind_subset: valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }
rm -rf "$work"
mkdir -p "$work"
cd "$work"
G=$src/examples/array64/G.npy
V=$src/examples/array64/V.npy
# four gate-input bit vectors for the 64-row array
awk 'BEGIN { for (k = 0; k < 4; k++) { s = ""; for (i = 0; i < 64; i++) s = s (i ? "," : "") ((i * 7 + k * 3) % 5 < 2 ? 1 : 0); print s } }' > bits.csv

status=0
run() {
  name=$1
  shift
  start=$(date +%s)
  if CI=true valgrind -q --error-exitcode=1 --leak-check=full \
       --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible \
       --track-origins=yes --suppressions="$src/.ci/valgrind.supp" --log-file="$name.vg" \
       "$xbar" "$@" > "$name.out" 2> "$name.err"; then
    if [ -s "$name.vg" ]; then
      echo "valgrind_subset: $name: memcheck output (unexpected):" >&2; cat "$name.vg" >&2; status=1
    else
      echo "valgrind_subset: $name: clean ($(($(date +%s) - start)) s)"
    fi
  else
    echo "valgrind_subset: $name: FAILED" >&2
    cat "$name.vg" "$name.err" >&2
    status=1
  fi
}

run solve_cholmod solve --backend cholmod --conductances "$G" --inputs "$V" \
    --r-row 1 --r-col 1 --r-drv 100 --r-sense 100 --out cholmod.npy
run solve_klu solve --backend klu --conductances "$G" --inputs "$V" \
    --r-row 1 --r-col 1 --r-drv 100 --r-sense 100 --r-access 2000 --node-voltages nodes.npy --out klu.npy
run solve_column solve --backend column --topology gate-input --conductances "$G" --inputs bits.csv \
    --r-col 1 --r-sense 50 --out column.npy
run solve_newton solve --access nmos --conductances "$G" --inputs "$V" --r-row 1 --r-col 1 --out newton.npy
run netlist netlist --conductances "$G" --inputs "$V" --r-row 1 --r-col 1 --r-access 2000 -o array.cir
run infer infer --model "$src/tests/data/tiny224.onnx" --dataset "imagenet:$src/tests/data/jpeg3" --batch 2

# The runs did their work, not only exited cleanly.
for f in cholmod.npy klu.npy nodes.npy column.npy newton.npy array.cir; do
  [ -s "$f" ] || { echo "valgrind_subset: $f was not written" >&2; status=1; }
done
grep -q 'solver: column' solve_column.out || { echo "valgrind_subset: the column backend did not run" >&2; status=1; }
grep -q '^top1: 1$' infer.out || { echo "valgrind_subset: infer did not classify the three images" >&2; status=1; }
[ $status = 0 ] && echo "valgrind_subset: all clean"
exit $status
