#!/bin/bash
# bench/ssh.sh BUILD — what the access path (lib/access.h) costs a
# connection, with no guest: a stand-in for a guest's sshd (a perl server
# on port 22 that sends a banner line per connection, like sshd) in a
# namespace of its own, and N round trips (connect, read the banner,
# close) three ways:
#   direct   a TCP client inside that namespace (what a host on the VLAN pays)
#   socket   a client of the forwarder's unix socket, relayed to port 22
#   proxy    `vcluster proxy GUEST` per round trip, as ssh's ProxyCommand
#            runs it (a process, the config, the guest list, the socket)
# The figures and their ratios to direct are printed, never judged. A
# real `vcluster ssh GUEST true` adds ssh's own handshake (tens of ms) on top.
VC_BUILD=${1:-build}
export VC_BUILD
TEST_NAME=bench-ssh
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/tests/integration/lib.sh"
vc_setup
N=${BENCH_SSH_N:-200}
NS=vcb$$-ssh
ip netns add "$NS"
drop_ns() { ip netns pids "$NS" 2>/dev/null | xargs -r kill 2>/dev/null; ip netns del "$NS" 2>/dev/null || true; }
CLEANUP_HOOKS+=(drop_ns)
ip -n "$NS" link set lo up
ip -n "$NS" addr add 10.9.0.1/32 dev lo
ip netns exec "$NS" perl -MIO::Socket::INET -e '
        my $s = IO::Socket::INET->new(LocalAddr => "10.9.0.1:22", Listen => 128, ReuseAddr => 1) or die "$!";
        $SIG{CHLD} = "IGNORE";
        while (my $c = $s->accept) { print $c "SSH-2.0-bench\r\n"; close $c; }' &
SERVER=$!
STATE=$T/state
D=$STATE/access/b001/1
mkdir -p "$D"
chmod 0700 "$D"
printf 'g-1-1 1 b001\n' >"$D/guests"
MUNGE_SOCKET=$T/munge.sock VC_PORT=1 write_conf
ip netns exec "$NS" "$ROOT/$VC_BUILD/libexec/vcluster/vcluster-forward" "$D" g-1-1=10.9.0.1 >"$T/fwd.out" 2>"$T/fwd.err" &
FWD=$!
stop_bench() { kill "$FWD" "$SERVER" 2>/dev/null; wait "$FWD" "$SERVER" 2>/dev/null || true; }
CLEANUP_HOOKS+=(stop_bench)
for _ in $(seq 50); do [ -S "$D/g-1-1.sock" ] && break; sleep 0.1; done
[ -S "$D/g-1-1.sock" ] || fail "the forwarder did not listen: $(cat "$T/fwd.err")"
for _ in $(seq 50); do ip netns exec "$NS" perl -MIO::Socket::INET -e 'IO::Socket::INET->new("10.9.0.1:22") or exit 1' && break; sleep 0.1; done

# ms CMD…: wall-clock milliseconds of CMD
ms() {
        local t0 t1
        t0=$(date +%s%N)
        "$@" >/dev/null || fail "bench: $* failed"
        t1=$(date +%s%N)
        echo $(((t1 - t0) / 1000000))
}
loop_perl() { # loop_perl MODE: N round trips in one perl process
        perl -MIO::Socket::INET -MIO::Socket::UNIX -e '
                my ($mode, $n, $path) = @ARGV;
                for (1 .. $n) {
                        my $c = $mode eq "tcp" ? IO::Socket::INET->new("10.9.0.1:22") : IO::Socket::UNIX->new(Peer => $path);
                        defined $c or die "connect: $!";
                        my $l = <$c>;
                        $l =~ /^SSH-2.0-bench/ or die "banner: $l";
                        close $c;
                }' "$1" "$N" "$D/g-1-1.sock"
}
loop_proxy() {
        local i out
        for ((i = 0; i < N; i++)); do
                out=$(SLURMD_NODENAME=b001 "$ROOT/$VC_BUILD/bin/vcluster" -c "$CONF" proxy -j 1 g-1-1 </dev/null) || return 1
                [[ $out == SSH-2.0-bench* ]] || return 1
        done
}
direct=$(ms ip netns exec "$NS" bash -c "$(declare -f loop_perl); N=$N D=$D; loop_perl tcp")
sock=$(ms loop_perl unix)
proxy=$(ms loop_proxy)
echo "== the access path: $N connections, each to the banner of a stand-in sshd (port 22 in a namespace)"
awk -v n="$N" -v d="$direct" -v s="$sock" -v p="$proxy" 'BEGIN {
        d = d < 1 ? 1 : d
        printf "  direct TCP in the namespace     %8.3f ms/conn\n", d / n
        printf "  forwarder unix socket           %8.3f ms/conn  (%.1fx direct)\n", s / n, s / d
        printf "  vcluster proxy (ProxyCommand)   %8.3f ms/conn  (%.1fx direct)\n", p / n, p / d
}'
stop_bench
vc_leak_check
