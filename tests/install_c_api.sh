#!/bin/sh
# install_c_api.sh BUILD SOURCE CC "SANITIZER FLAGS": the installed library as a
# user sees it.  Installs BUILD into BUILD/install-test, checks what landed
# there (libraries, every public header, xbar.pc), compiles the headers alone
# (C11 -pedantic, and C++ when a C++ compiler is present), then builds
# examples/c-api through pkg-config against the installed copy, shared and
# static, and runs both.
set -eu
build=$1 src=$2 cc=$3 san=${4:-}
prefix=$build/install-test
work=$build/install-test-work
rm -rf "$prefix" "$work"
mkdir -p "$work"
fail() { echo "install_c_api: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$prefix" > "$work/install.log" || fail "cmake --install failed"

pc=$(find "$prefix" -name xbar.pc | head -1)
[ -n "$pc" ] || fail "no xbar.pc under $prefix"
libdir=$(dirname "$(dirname "$pc")")
for f in libxbar.a libxbar.so; do
  [ -e "$libdir/$f" ] || fail "$libdir/$f is missing"
done
[ -x "$prefix/bin/xbar" ] || fail "$prefix/bin/xbar is missing"

# Every public header of the source tree is installed, and xbar.h includes it.
for h in $(find "$src" -path "$src/build*" -prune -o -path '*/include/xb_*.h' -print); do
  name=$(basename "$h")
  [ -f "$prefix/include/xbar/$name" ] || fail "header $name is not installed"
  grep -q "^#include \"$name\"" "$src/include/xbar.h" || fail "xbar.h does not include $name"
done
[ -f "$prefix/include/xbar/xbar.h" ] || fail "xbar.h is not installed"

export PKG_CONFIG_PATH="$libdir/pkgconfig"
pkg-config --exists xbar || fail "pkg-config does not find xbar in $PKG_CONFIG_PATH"
if pkg-config --help 2>&1 | grep -q -- --validate; then
  pkg-config --validate xbar || fail "pkg-config --validate xbar"
fi
[ "$(cd "$(pkg-config --variable=prefix xbar)" && pwd -P)" = "$(cd "$prefix" && pwd -P)" ] ||
  fail "xbar.pc: prefix $(pkg-config --variable=prefix xbar) is not $prefix"
echo "pkg-config --cflags --libs xbar: $(pkg-config --cflags --libs xbar)"
echo "pkg-config --static --libs xbar: $(pkg-config --static --libs xbar)"

# The headers on their own.
printf '#include <xbar/xbar.h>\nint main(void) { return XB_OK; }\n' > "$work/h.c"
$cc -std=c11 -pedantic -Wall -Wextra -Werror -fsyntax-only $(pkg-config --cflags xbar) "$work/h.c" ||
  fail "the installed headers do not compile as C11"
if command -v c++ > /dev/null; then
  cp "$work/h.c" "$work/h.cc"
  c++ -std=c++11 -Wall -Wextra -Werror -fsyntax-only $(pkg-config --cflags xbar) "$work/h.cc" ||
    fail "the installed headers do not compile as C++"
fi

# The example, as a user builds it: a copy of examples/c-api and its Makefile.
cp "$src/examples/c-api/crossbar.c" "$src/examples/c-api/Makefile" "$work/"
make -C "$work" CC="$cc" CFLAGS="-O2 -g -Wall -Wextra -Werror $san" LDFLAGS="$san" \
  crossbar crossbar-static || fail "the example does not build against the installed library"

LD_LIBRARY_PATH=$libdir "$work/crossbar" || fail "crossbar (shared) failed"
LD_LIBRARY_PATH=$libdir ldd "$work/crossbar" | grep -q "$libdir/libxbar.so" ||
  fail "crossbar does not load $libdir/libxbar.so"
if readelf -d "$work/crossbar-static" | grep -q 'libxbar'; then
  fail "crossbar-static depends on libxbar.so"
fi
"$work/crossbar-static" > "$work/static.txt" || { cat "$work/static.txt"; fail "crossbar-static failed"; }
tail -1 "$work/static.txt"
echo "install_c_api: ok"
