#!/bin/bash
# Denial of service against vlanallocd's front door (issue 15, item 1), each
# attack run as uid 65534 while root's hooks and vlanalloc must still be
# served within a second:
#   - 32 trickling TCP connections from the node's own address, reopened as
#     the daemon closes them: the root node prolog (over TCP) still succeeds,
#     and no trickler lives past the whole-request deadline;
#   - 1120 idle TCP connections from 35 addresses: root on the Unix socket
#     and over TCP still served;
#   - the same flood once the daemon's descriptors run out: accepting rests,
#     it does not spin.
. "$(dirname "$0")/lib.sh"
vc_setup
start_munged
write_conf
start_daemon

DOS=$TOOLS/rpcdos
[ -x "$DOS" ] || fail "$DOS not built (make all)"
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
# a compute node: no daemon socket in its StateDir, so it reaches vlanallocd over TCP
sed "s|StateDir=$T/state|StateDir=$T/node-state|" "$CONF" >"$T/node.conf"
mkdir -p "$T/node-state"

# hook CONTEXT JOB: run vcluster-prolog/-epilog as slurmd does on a001 (root,
# over TCP); rc in HOOK_RC, wall time in HOOK_MS.
hook() {
        local prog=vcluster-prolog start
        case "$1" in epilog*) prog=vcluster-epilog ;; esac
        HOOK_RC=0
        start=$(date +%s%N)
        env -i PATH="$PATH" VCLUSTER_CONF="$T/node.conf" VCLUSTER_HOOK_LOG="$T/hook.log" \
                SLURM_SCRIPT_CONTEXT="$1" SLURM_JOB_ID="$2" SLURM_JOB_UID=0 SLURM_JOB_USER=root \
                SLURMD_NODENAME=a001 SLURM_NODELIST=a001 SPANK_VCLUSTER=vms=1 \
                timeout 60 "$BIN/$prog" || HOOK_RC=$?
        HOOK_MS=$((($(date +%s%N) - start) / 1000000))
}

# timed_ok WHAT CMD…: CMD succeeds within 1 s.
timed_ok() {
        local what=$1 start ms
        shift
        start=$(date +%s%N)
        "$@" >/dev/null 2>"$T/timed.err" || fail "$what failed: $(cat "$T/timed.err")"
        ms=$((($(date +%s%N) - start) / 1000000))
        [ "$ms" -lt 1000 ] || fail "$what took $ms ms"
        say "  $what: $ms ms"
}

# attack OUT ARGS…: rpcdos as uid 65534 in the background (pid in ATTACK_PID),
# once its first connections are open.
attack() {
        local out=$1
        shift
        (ulimit -n 8192 && exec "${NOBODY[@]}" "$DOS" "$@") >"$out" 2>&1 &
        ATTACK_PID=$!
        for _ in $(seq 200); do grep -q '^open' "$out" && return 0; sleep 0.05; done
        fail "the attack did not start: $(cat "$out")"
}
stop_attack() {
        [ -n "${ATTACK_PID:-}" ] || return 0
        kill "$ATTACK_PID" 2>/dev/null || true
        wait "$ATTACK_PID" 2>/dev/null || true
        ATTACK_PID=""
}
CLEANUP_HOOKS+=(stop_attack)

va acquire 71 --nodes a001 >/dev/null || fail "acquire 71"

say "32 trickling connections from the node's address do not fail root's node prolog"
attack "$T/trickle.out" -s "tcp:127.0.0.1:$VC_PORT" trickle 32 13
sleep 1 # every trickler has started its request
hook prolog_slurmd 71
[ "$HOOK_RC" = 0 ] || fail "node prolog failed ($HOOK_RC) under trickling: $(tail -3 "$T/hook.log")"
[ "$HOOK_MS" -lt 1000 ] || fail "node prolog took $HOOK_MS ms under trickling"
say "  node prolog: $HOOK_MS ms"
timed_ok "root's vlanalloc over TCP" "$BIN/vlanalloc" -c "$T/node.conf" show 71
timed_ok "root's vlanalloc on the Unix socket" va ranges
hook epilog_slurmd 71
[ "$HOOK_RC" = 0 ] || fail "node epilog failed ($HOOK_RC) under trickling: $(tail -3 "$T/hook.log")"

say "no trickler outlives the whole-request deadline (10 s)"
wait "$ATTACK_PID" || fail "rpcdos failed: $(cat "$T/trickle.out")"
ATTACK_PID=""
summary=$(tail -1 "$T/trickle.out")
say "  $summary"
longest=$(sed -n 's/.* longest \([0-9]*\) ms/\1/p' <<<"$summary")
[ -n "$longest" ] && [ "$longest" -lt 12000 ] || fail "a trickler held its connection $longest ms: $summary"

say "the same, reopening every connection the daemon closes: root's node prolog still succeeds"
attack "$T/churn.out" -s "tcp:127.0.0.1:$VC_PORT" -r trickle 32 3
sleep 0.5
hook prolog_slurmd 71
[ "$HOOK_RC" = 0 ] && [ "$HOOK_MS" -lt 1000 ] ||
        fail "node prolog under reopening tricklers: rc $HOOK_RC in $HOOK_MS ms: $(tail -3 "$T/hook.log")"
say "  node prolog: $HOOK_MS ms"
hook epilog_slurmd 71
stop_attack

say "1120 idle connections from 35 addresses: root on the Unix socket and over TCP still served"
addrs=$(seq -s, -f '127.0.0.%g' 2 36)
attack "$T/flood.out" -s "tcp:127.0.0.1:$VC_PORT" -b "$addrs" idle 1120 8
sleep 0.5
timed_ok "root's vlanalloc on the Unix socket" va ranges
timed_ok "root's vlanalloc over TCP" "$BIN/vlanalloc" -c "$T/node.conf" show 71
hook prolog_slurmd 71
[ "$HOOK_RC" = 0 ] && [ "$HOOK_MS" -lt 1000 ] ||
        fail "node prolog under the flood: rc $HOOK_RC in $HOOK_MS ms: $(tail -3 "$T/hook.log")"
hook epilog_slurmd 71
stop_attack

say "descriptors run out: the daemon rests instead of spinning, and recovers"
# what the daemon can open is cut below what the flood needs (as a low
# `ulimit -n` would), after it sized its pools for more
soft=$(prlimit --pid "$DAEMON_PID" --nofile --output SOFT --noheadings)
prlimit --pid "$DAEMON_PID" --nofile=200: || fail "prlimit"
attack "$T/emfile.out" -s "tcp:127.0.0.1:$VC_PORT" -b "$addrs" idle 400 6
sleep 1
cpu() { awk '{print $14 + $15}' "/proc/$DAEMON_PID/stat"; } # utime + stime, in clock ticks
c0=$(cpu)
sleep 3
ticks=$(($(cpu) - c0))
hz=$(getconf CLK_TCK)
say "  daemon CPU over 3 s at the descriptor limit: $((ticks * 1000 / hz)) ms"
[ "$ticks" -lt "$hz" ] || fail "the daemon spins when descriptors run out: $((ticks * 1000 / hz)) ms of CPU in 3 s"
grep -q "accept: Too many open files; not accepting for a moment" "$T/daemon.log" ||
        fail "the daemon did not say it ran out of descriptors"
stop_attack
prlimit --pid "$DAEMON_PID" --nofile="$soft": || fail "prlimit"
for _ in $(seq 100); do va ranges >/dev/null 2>&1 && break; sleep 0.1; done
timed_ok "root's vlanalloc after the flood" va ranges

say "an unreachable daemon: the node prolog retries with backoff instead of failing at once"
stop_daemon
(hook prolog_slurmd 71 && echo "$HOOK_RC $HOOK_MS" >"$T/hook.rc") &
HOOK_PID=$!
sleep 2
start_daemon
wait "$HOOK_PID" || true
read -r HOOK_RC HOOK_MS <"$T/hook.rc" || fail "the node prolog did not finish"
[ "$HOOK_RC" = 0 ] || fail "node prolog gave up on a daemon that was down for 2 s: $(tail -3 "$T/hook.log")"
grep -q "retrying" "$T/hook.log" || fail "the prolog did not say it retried"
say "  node prolog: $HOOK_MS ms, after $(grep -c retrying "$T/hook.log") retries"
hook epilog_slurmd 71

va release 71 >/dev/null
kill -0 "$DAEMON_PID" || fail "daemon gone"
pass
