#!/bin/sh
# test_fresh_machine — README's commands on a machine where the build
# dependencies are not installed yet (issue 14).
#
# A bare Debian 12 has no pkg-config answers until the install step has run.
# This test puts a pkg-config first in PATH that answers nothing (exit 1, no
# output) until a stand-in install step has created a marker, then:
#   1. plain `make` on such a machine stops before any compiler runs, with a
#      message naming the missing libraries and ./bootstrap, and builds nothing;
#   2. `./bootstrap -j2 …` (install step, then make, with parallel jobs) builds
#      the objects that failed on the first user's machine (node/bridge.c
#      needs libnl's headers) and a whole program, proving that nothing the
#      build reads from pkg-config was evaluated before the install.
# The stand-in install sleeps first, so a build racing it would lose.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/vc-fresh.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL test_fresh_machine: $*" >&2; exit 1; }

real_pc=$(command -v pkg-config) || fail "pkg-config is not installed (run ./bootstrap)"
mkdir -p "$T/bin"
cat >"$T/bin/pkg-config" <<EOS
#!/bin/sh
[ -e "$T/installed" ] || exit 1
exec "$real_pc" "\$@"
EOS
cat >"$T/bin/net-snmp-config" <<EOS
#!/bin/sh
[ -e "$T/installed" ] || exit 1
exec "$(command -v net-snmp-config)" "\$@"
EOS
cat >"$T/deps" <<EOS
#!/bin/sh
sleep 1
touch "$T/installed"
EOS
chmod +x "$T/bin/pkg-config" "$T/bin/net-snmp-config" "$T/deps"
export PATH="$T/bin:$PATH"
B=$T/build
targets="$B/obj/node/bridge.o $B/bin/vcluster"

# 1. make alone, before the install: refused up front, nothing built.
rc=0
out=$(cd "$ROOT" && make -j2 BUILD="$B" $targets 2>&1) || rc=$?
[ "$rc" != 0 ] || fail "make built without the packages: $out"
case $out in
*"missing build dependencies"*"libnl-route-3.0"*"./bootstrap"*) ;;
*) fail "make without the packages did not name what is missing: $out" ;;
esac
case $out in *"fatal error"* | *"No such file"*) fail "a compiler ran before the packages were checked: $out" ;; esac
[ ! -e "$B/obj" ] || fail "make without the packages built objects: $(find "$B/obj" -type f | head -3)"
[ ! -e "$T/installed" ] || fail "make ran the install step itself"

# 2. README's entry point: install, then make (-j2).
rc=0
out=$(cd "$ROOT" && VC_DEPS="$T/deps" ./bootstrap -j2 BUILD="$B" $targets 2>&1) || rc=$?
[ "$rc" = 0 ] || fail "./bootstrap failed on a machine without the packages: $out"
[ -e "$T/installed" ] || fail "./bootstrap did not run the install step"
for f in $targets; do [ -s "$f" ] || fail "./bootstrap did not build $f"; done
"$B/bin/vcluster" --help >/dev/null 2>&1 || [ $? -le 2 ] || fail "the built vcluster does not run"
echo "PASS test_fresh_machine"
