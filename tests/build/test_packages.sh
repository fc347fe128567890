#!/bin/sh
# test_packages DIR — the Debian packages `make deb` built into DIR hold what
# a site installs, where Debian puts it (issue 19):
#   - five packages split by where they run, each with its programs;
#   - the SPANK plugin in Slurm's plugin dir with a plugstack.conf.d drop-in
#     naming it, and a dependency on the Slurm release it was built against;
#   - the hooks proper beside the launchers, units for the daemons that
#     systemd accepts, man pages and examples whose paths are /usr, not
#     /usr/local;
#   - programs that run and print the version in VERSION;
#   - a release build with a distribution's FORTIFY level (3) compiles.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
D=${1:?usage: test_packages DIR}
T=$(mktemp -d /tmp/vc-packages.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL test_packages: $*" >&2; exit 1; }
V=$(cat "$ROOT/VERSION")
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH)

for p in common controller node client storage; do
        deb=$(ls "$D"/vcluster-${p}_"$V"_*.deb 2>/dev/null) || fail "no vcluster-$p package of version $V in $D"
        mkdir -p "$T/$p"
        dpkg-deb -x "$deb" "$T/$p"
        dpkg-deb -f "$deb" Depends >"$T/$p.depends"
done
has() { [ -e "$T/$1/$2" ] || fail "vcluster-$1 lacks /$2"; }
has controller usr/sbin/vlanallocd
has controller usr/sbin/vlanalloc
has controller lib/systemd/system/vlanallocd.service
has node usr/sbin/vcluster-prolog
has node usr/sbin/vcluster-epilog
has node usr/libexec/vcluster/vcluster-prolog
has node usr/libexec/vcluster/vcluster-epilog
has node usr/libexec/vcluster/vcluster-forward
has client usr/bin/vcluster
has client "usr/lib/$MA/slurm-wlm/spank_vcluster.so"
has client etc/slurm/plugstack.conf.d/vcluster.conf
has storage usr/sbin/vcluster-storaged
has storage "lib/systemd/system/vcluster-storaged@.service"
has common usr/share/man/man5/vcluster.conf.5.gz
has client usr/share/man/man8/spank_vcluster.8.gz
has common usr/share/doc/vcluster-common/examples/vcluster.conf.example

grep -qx "required /usr/lib/$MA/slurm-wlm/spank_vcluster.so conf=/etc/vcluster/vcluster.conf" \
        "$T/client/etc/slurm/plugstack.conf.d/vcluster.conf" ||
        fail "the drop-in does not name the installed plugin: $(cat "$T/client/etc/slurm/plugstack.conf.d/vcluster.conf")"
rel=$(dpkg-query -W -f='${Version}' libslurm-dev | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')
grep -q "slurm-client (>= $rel)" "$T/client.depends" && grep -q "slurm-client (<< " "$T/client.depends" ||
        fail "vcluster-client does not depend on the Slurm release $rel it was built against: $(cat "$T/client.depends")"

# Paths in what an admin reads are Debian's, not /usr/local.
left=$(zgrep -l /usr/local "$T"/*/usr/share/man/*/*.gz "$T"/common/usr/share/doc/vcluster-common/examples/* 2>/dev/null || true)
[ -z "$left" ] || fail "/usr/local in installed docs: $left"
grep -q '^ExecStart=/usr/sbin/vlanallocd --foreground$' "$T/controller/lib/systemd/system/vlanallocd.service" ||
        fail "vlanallocd.service does not start /usr/sbin/vlanallocd in the foreground"
for u in "$T/controller/lib/systemd/system/vlanallocd.service" \
        "$T/storage/lib/systemd/system/vcluster-storaged@.service"; do
        cp "$u" "$T/$(basename "$u" | sed 's/@/@st1/')"
        out=$(systemd-analyze verify "$T/$(basename "$u" | sed 's/@/@st1/')" 2>&1 |
                grep -v -e 'is not executable' -e "Command 'man " || true)
        [ -z "$out" ] || fail "systemd refuses $(basename "$u"): $out"
done

# The programs run, and say the version.
for prog in controller/usr/sbin/vlanallocd controller/usr/sbin/vlanalloc storage/usr/sbin/vcluster-storaged \
        client/usr/bin/vcluster; do
        out=$("$T/$prog" --version 2>&1) || fail "$prog --version failed: $out"
        case $out in *" $V") ;; *) fail "$prog --version says '$out', not $V" ;; esac
done

# A distribution's flags choose FORTIFY; a release build does not redefine it.
out=$(cd "$ROOT" && make RELEASE=1 BUILD="$T/b" CPPFLAGS=-D_FORTIFY_SOURCE=3 "$T/b/obj/lib/util.o" 2>&1) ||
        fail "a release build with -D_FORTIFY_SOURCE=3 fails: $out"
case $out in *redefined*) fail "FORTIFY redefined: $out" ;; esac
echo "PASS test_packages"
