#!/bin/bash
# l2.openvpn (issue 15, item 5): the tunnel runs in TLS mode, not the
# deprecated static-key mode, and openvpn drops its privileges after setup.
# Two gateways (WAN namespaces WA 192.0.2.1 = hub, WB 192.0.2.11 = spoke 1)
# each with a cluster namespace holding br0 (10.80.0.1, .2), joined by
# nodestep's l2.openvpn with one job secret:
#  - the br0 addresses reach each other through the tunnel;
#  - each openvpn runs as nobody, chrooted into its empty DEV.root;
#  - its command line has --tls-server/--tls-client and no --secret, and
#    never the secret, and asks for TLS 1.3; its log shows the TLS peer
#    by its certificate name (hub, spoke-1);
#  - the job's CA key is in no file: the one private key on disk is the
#    gateway's own (0600);
#  - undo stops it and leaves no file, no chroot.
. "$(dirname "$0")/lib.sh"
vc_setup

NSTEP=$TOOLS/nodestep
[ -x "$NSTEP" ] || fail "no $NSTEP: build it with make BUILD=$VC_BUILD"
command -v openvpn >/dev/null || fail "openvpn is not installed"
P="vc$$o"
WA=${P}wa WB=${P}wb
J=$((400000 + $$ % 100000))
NA=vcl-$J-a NB=vcl-$J-b
NSS=("$WA" "$WB" "$NA" "$NB")
# cleanup records (lib.sh's leak) an openvpn it has to stop, then stops it:
# pass fails on it (leak hooks would run before this cleanup)
tls_cleanup() {
        local f p ns
        for f in "$T"/st-*/*.pid; do
                [ -f "$f" ] || continue
                p=$(cat "$f")
                if tr '\0' ' ' </proc/"$p"/cmdline 2>/dev/null | grep -qF -- "--writepid $f"; then
                        leak "openvpn $p left running"
                        kill "$p" 2>/dev/null || true
                fi
        done
        for ns in "${NSS[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
        return 0
}
CLEANUP_HOOKS+=(tls_cleanup)

for ns in "${NSS[@]}"; do
        ip netns add "$ns"
        ip -n "$ns" link set lo up
done
ip -n "$WA" link add wan type veth peer name wan netns "$WB"
ip -n "$WA" addr add 192.0.2.1/24 dev wan
ip -n "$WB" addr add 192.0.2.11/24 dev wan
ip -n "$WA" link set wan up
ip -n "$WB" link set wan up
for x in "$NA":10.80.0.1 "$NB":10.80.0.2; do
        ip -n "${x%%:*}" link add br0 type bridge
        ip -n "${x%%:*}" addr add "${x#*:}/24" dev br0
        ip -n "${x%%:*}" link set br0 up
done

head -c 256 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$T/tunnel.key"
chmod 0600 "$T/tunnel.key"
HEX=$(cat "$T/tunnel.key")
PORT=$(free_port)
DEV=vpn$J
ovpn() { # NS WAN LOCAL REMOTE ROLE DIR
        printf '{"job": %s, "netns": "%s", "wan_netns": "%s", "local": "%s", "remote": "%s", "port": %s, "dev": "%s", "dir": "%s", "role": "%s", "spoke": 1}' \
                "$J" "$1" "$2" "$3" "$4" "$PORT" "$DEV" "$6" "$5"
}
OA=$(ovpn "$NA" "$WA" 192.0.2.1 192.0.2.11 hub "$T/st-a")
OB=$(ovpn "$NB" "$WB" 192.0.2.11 192.0.2.1 spoke "$T/st-b")
N=0
nstep() { # WANT do|undo ARGS
        N=$((N + 1))
        printf '%s\n' "$3" >"$T/args.$N.json"
        local rc=0
        "$NSTEP" -k "$T/tunnel.key" "$2" l2.openvpn "$T/args.$N.json" >/dev/null 2>"$T/nstep.$N.err" || rc=$?
        [ "$rc" = "$1" ] || fail "nodestep $2 l2.openvpn exited $rc: $(cat "$T/nstep.$N.err")"
}

say "hub at A, spoke at B, one job secret"
nstep 0 do "$OA"
nstep 0 do "$OB"
ok=""
for _ in $(seq 20); do
        ip netns exec "$NA" ping -c1 -W1 -q 10.80.0.2 >/dev/null 2>&1 && { ok=1; break; }
done
[ -n "$ok" ] || fail "A's br0 cannot reach B's through the tunnel: $(tail -n 5 "$T/st-a/$DEV.log")"

say "each openvpn: nobody, chrooted, TLS, no key on its command line"
for s in a:hub:spoke-1 b:spoke:hub; do
        d=$T/st-${s%%:*} rest=${s#*:} role=${rest%%:*} peer=${rest#*:}
        pid=$(cat "$d/$DEV.pid")
        uid=$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$pid/status")
        [ "$uid" = "$(id -u nobody) $(id -u nobody) $(id -u nobody) $(id -u nobody)" ] ||
                fail "openvpn $pid ($role) has uids $uid, not nobody's"
        [ "$(readlink "/proc/$pid/root")" = "$d/$DEV.root" ] ||
                fail "openvpn $pid ($role) is not chrooted into $d/$DEV.root: $(readlink "/proc/$pid/root")"
        [ -z "$(ls -A "$d/$DEV.root")" ] || fail "the chroot is not empty: $(ls -A "$d/$DEV.root")"
        cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline")
        case $role in hub) expect_in "--tls-server" "$cmd" ;; *) expect_in "--tls-client" "$cmd" ;; esac
        case $cmd in *--secret*) fail "static-key mode: $cmd" ;; esac
        case $cmd in *"${HEX:0:32}"*) fail "the secret is on openvpn's command line" ;; esac
        log=$(cat "$d/$DEV.log")
        expect_in "--tls-version-min 1.3" "$cmd"
        expect_in "[$peer] Peer Connection Initiated" "$log"
        ! grep -q "${HEX:0:32}" "$d/$DEV.log" "$T"/nstep.*.err || fail "the secret is in a log"
        keys=$(grep -l "PRIVATE KEY" "$d"/* 2>/dev/null | tr '\n' ' ')
        [ "$keys" = "$d/$DEV.id.pem " ] || fail "private keys on disk at $role: '$keys' (only $DEV.id.pem expected)"
        [ "$(stat -c %a "$d/$DEV.id.pem")" = 600 ] || fail "$DEV.id.pem is mode $(stat -c %a "$d/$DEV.id.pem")"
        own=hub
        [ "$role" = hub ] || own=spoke-1
        subj=$(openssl x509 -in "$d/$DEV.crt.pem" -noout -subject)
        [ "$subj" = "subject=CN = $own" ] || fail "$role's certificate: $subj"
done
# Each side made its own CA certificate from the job's secret; they check each other's certificates.
openssl verify -CAfile "$T/st-a/$DEV.ca.pem" "$T/st-b/$DEV.crt.pem" >/dev/null || fail "A's CA does not vouch for B"

say "undo: openvpn gone, no file, no chroot"
pa=$(cat "$T/st-a/$DEV.pid") pb=$(cat "$T/st-b/$DEV.pid")
nstep 0 undo "$OA"
nstep 0 undo "$OB"
nstep 0 undo "$OB"
# alive PID: the process runs (a zombie waiting for init to reap it does not).
alive() { [ -e "/proc/$1" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }
for p in $pa $pb; do ! alive "$p" || fail "openvpn $p still runs after undo"; done
[ -z "$(ls -A "$T/st-a" "$T/st-b" | grep -v '^/\|^$')" ] || fail "undo left: $(ls -A "$T/st-a" "$T/st-b")"
pass
