#!/bin/sh
# test_layering.sh SOURCE: every #include "..." in the tree goes along an
# allowed edge of the module table below (docs/architecture.md), and every
# module's CMake target links only modules it may use.
#
# A file belongs to the module of its folder.  An included header belongs to
# the module whose folder holds it: in <module>/include/ it is that module's
# public header, anywhere else in the module it is internal.  A file may
# include its own module's headers, the public headers of the modules it may
# use, and nothing else; tests, benchmarks, fuzz targets and examples see the
# public headers only, except a module's own test reaching that module's
# internal header (the exceptions below).
set -eu
src=${1:-.}
cd "$src"

# ---- the table: "<module> <module it may use>", one line per allowed edge ----
edges='
circuit base
netgen circuit
netgen base
solver circuit
solver base
validation netgen
validation solver
validation circuit
validation base
onnx base
data onnx
data base
analog onnx
analog solver
analog circuit
analog base
plot base
study analog
study data
study onnx
study validation
study netgen
study solver
study circuit
study plot
study base
cli study
cli plot
cli analog
cli data
cli onnx
cli validation
cli netgen
cli solver
cli circuit
cli base
'
# Internal headers shared beyond their folder: "<file or module> <header>".
friends='
netgen circuit/shared/xb_graph.h
solver circuit/shared/xb_graph.h
tests/test_circuit.c circuit/shared/xb_graph.h
tests/test_device_model.c inference/analog/device_model.h
tests/test_device_model.c inference/analog/analog_impl.h
tests/test_gemm.c solver/solver_internal.h
tests/test_gemm.c circuit/shared/xb_graph.h
onnx @generated/onnx.pb-c.h
tests/test_sweep_model.h @generated/onnx.pb-c.h
'

module_of() {
  case $1 in
    base/*) echo base ;;
    circuit/*) echo circuit ;;
    netgen/*) echo netgen ;;
    solver/*) echo solver ;;
    validation/*) echo validation ;;
    inference/onnx/*) echo onnx ;;
    inference/data/*) echo data ;;
    inference/analog/*) echo analog ;;
    plot/*) echo plot ;;
    study/*) echo study ;;
    cli/*) echo cli ;;
    include/*) echo api ;;
    tests/*|bench/*|fuzz/*|examples/*|python/*) echo user ;;
    *) echo none ;;
  esac
}

allowed_edge() { printf '%s\n' "$edges" | grep -qx "$1 $2"; }
friend() { printf '%s\n' "$friends" | grep -qx "$1 $2"; }

# Every header of the tree by name (names are unique across modules).
headers=$(find . -path ./build -prune -o -path './build*' -prune -o -name '*.h' -print | sed 's|^\./||')
status=0
bad() { echo "test_layering: $*" >&2; status=1; }

files=$(find . -path './build*' -prune -o \( -name '*.c' -o -name '*.h' \) -print | sed 's|^\./||' | LC_ALL=C sort)
for f in $files; do
  from=$(module_of "$f")
  [ "$from" = none ] && continue
  dir=$(dirname "$f")
  for inc in $(sed -n 's/^[ \t]*#[ \t]*include[ \t]*"\([^"]*\)".*/\1/p' "$f"); do
    # where the header lives: beside the file first, then anywhere in the tree
    if [ -f "$dir/$inc" ]; then
      h="$dir/$inc"
    else
      h=$(printf '%s\n' "$headers" | grep -E "(^|/)$inc\$" | head -1)
    fi
    if [ -z "$h" ]; then
      friend "$f" "@generated/$inc" || friend "$from" "@generated/$inc" || bad "$f includes \"$inc\", which is not in the tree"
      continue
    fi
    h=$(printf '%s' "$h" | sed 's|^\./||')
    to=$(module_of "$h")
    case $h in */include/*|include/*) public=1 ;; *) public=0 ;; esac
    if [ "$to" = "$from" ] && [ "$from" != user ]; then continue; fi
    if [ "$from" = user ] && [ "$to" = user ]; then continue; fi
    if friend "$f" "$h" || friend "$from" "$h"; then continue; fi
    if [ $public = 0 ]; then
      bad "$f ($from) includes $h, an internal header of $to"
      continue
    fi
    case $from in user|api) continue ;; esac
    allowed_edge "$from" "$to" || bad "$f ($from) includes $h: $from may not use $to"
  done
done

# The CMake targets: xb_module(xb_<m> <dir> USES xb_<a> xb_<b> ...).
for cm in CMakeLists.txt inference/inference.cmake; do
  sed -n 's/^xb_module(xb_\([a-z]*\) [^ ]*\(.*\)).*/\1\2/p' "$cm" | while read -r m rest; do
    uses=$(printf '%s\n' "$rest" | sed -n 's/.*USES \(.*\)/\1/p' | sed 's/ LIBS.*//')
    for u in $uses; do
      u=${u#xb_}
      allowed_edge "$m" "$u" || { echo "test_layering: $cm: xb_$m links xb_$u against the table" >&2; exit 1; }
    done
  done || status=1
done

if [ $status = 0 ]; then
  echo "test_layering: ok ($(printf '%s\n' "$files" | wc -l) files)"
fi
exit $status
