# storage.sh — a real tgtd (the iSCSI target daemon) for tests, sourced
# after lib.sh.
#
#   start_tgtd       tgtd -f -C N --iscsi portal=127.0.0.1:PORT, with a control
#                    number N no other tgtd uses and a free portal port;
#                    exports TGT_CONTROL (N), TGT_PORTAL (127.0.0.1:PORT) and
#                    TGT_PID, and returns once tgtd answers on its control
#                    socket /var/run/tgtd/socket.N and listens on PORT
#   start_tgtd_again the same tgtd again after stop_tgtd (TGT_NETNS: run it
#                    in that network namespace, where its initiators are)
#   tgta ARGS…       tgtadm -C N --lld iscsi ARGS… (never give it a secret:
#                    tgtadm only takes one in its argv)
#   tgt_targets      "TID IQN" per target on that tgtd
#   tgt_accounts     one account name per line
#   stop_tgtd        delete every target (--force), then the system, wait
#                    for tgtd to exit; remove the socket and lock files it
#                    leaves behind
#   tgt_leak_check   (in LEAK_HOOKS, before stop_tgtd) fails the test when a
#                    target or an account was left: on the running tgtd
#                    (a listing that fails counts), or, once stop_tgtd
#                    ran, on what it found before cleaning up
#
# tgtd ignores SIGTERM while it has targets, hence the deletes; it is killed
# only when it will not exit, and that too fails the leak check.
TGT_CONTROL=""
TGT_PORTAL=""
TGT_PID=""
TGT_HOOKED=""
TGT_LEFT=""
TGT_RUNDIR=/var/run/tgtd

tgta() { tgtadm -C "$TGT_CONTROL" --lld iscsi "$@"; }
# (both fail when tgtadm does: a listing that fails is never "none")
tgt_targets() {
        local out
        out=$(tgta --op show --mode target) || return 1
        sed -n 's/^Target \([0-9]*\): \(.*\)$/\1 \2/p' <<<"$out"
}
tgt_accounts() {
        local out
        out=$(tgta --op show --mode account) || return 1
        sed -n 's/^    //p' <<<"$out"
}

start_tgtd() {
        if [ -z "$TGT_HOOKED" ]; then
                CLEANUP_HOOKS+=(stop_tgtd)
                LEAK_HOOKS+=(tgt_leak_check)
                TGT_HOOKED=1
        fi
        local n="" port
        # tgtd and tgtadm keep N in a short; a socket or lock file means another tgtd has it.
        for _ in $(seq 50); do
                n=$((1000 + RANDOM % 30000))
                [ -e "$TGT_RUNDIR/socket.$n" ] || [ -e "$TGT_RUNDIR/socket.$n.lock" ] || break
                n=""
        done
        [ -n "$n" ] || fail "no free tgtd control number"
        port=$(free_port)
        tgtd_launch "$n" "$port"
}

# start_tgtd_again: after stop_tgtd, the same tgtd again (same control
# number and portal), as a site's tgtd comes back after a restart.
start_tgtd_again() { tgtd_launch "$TGT_CONTROL" "${TGT_PORTAL##*:}"; }

# tgtd_launch N PORT: run tgtd (in namespace TGT_NETNS when set: the portal
# must be where the initiators are; the control socket is a file, reached
# from anywhere) and wait until it answers.
tgtd_launch() {
        local n=$1 port=$2 in=()
        [ -n "${TGT_NETNS:-}" ] && in=(ip netns exec "$TGT_NETNS")
        mkdir -p "$T/tgt"
        "${in[@]}" tgtd -f -C "$n" --iscsi portal=127.0.0.1:"$port" >>"$T/tgt/tgtd.log" 2>&1 &
        TGT_PID=$!
        TGT_CONTROL=$n
        TGT_PORTAL=127.0.0.1:$port
        export TGT_CONTROL TGT_PORTAL TGT_PID
        for _ in $(seq 200); do
                if [ -S "$TGT_RUNDIR/socket.$n" ] && tgta --op show --mode system >/dev/null 2>&1 &&
                        "${in[@]}" ss -Htln "sport = :$port" | grep -q .; then
                        return 0
                fi
                kill -0 "$TGT_PID" 2>/dev/null || fail "tgtd exited at start: $(tail -5 "$T/tgt/tgtd.log")"
                sleep 0.05
        done
        fail "tgtd (control $n) did not answer"
}

# tgt_inventory: what is on the running tgtd, one "target …"/"account …" line each.
tgt_inventory() {
        local t a
        t=$(tgt_targets) && a=$(tgt_accounts) || return 1
        [ -z "$t" ] || sed 's/^/target /' <<<"$t"
        [ -z "$a" ] || sed 's/^/account /' <<<"$a"
        return 0
}

stop_tgtd() {
        [ -n "$TGT_PID" ] || return 0
        local tid i
        if kill -0 "$TGT_PID" 2>/dev/null; then
                TGT_LEFT+=$'\n'"$(tgt_inventory || echo "tgtd (control $TGT_CONTROL) did not list its targets")"
                for tid in $(tgt_targets | cut -d' ' -f1); do
                        # A forced delete is refused while commands are in flight: retry.
                        for i in $(seq 50); do
                                tgta --op delete --mode target --tid "$tid" --force >/dev/null 2>&1 && break
                                sleep 0.1
                        done
                done
                # tgtadm waits until the socket refuses connections, forever if tgtd stays.
                timeout 10 tgtadm -C "$TGT_CONTROL" --op delete --mode system >/dev/null 2>&1 || true
                for i in $(seq 100); do
                        kill -0 "$TGT_PID" 2>/dev/null || break
                        sleep 0.1
                done
                if kill -0 "$TGT_PID" 2>/dev/null; then
                        kill -KILL "$TGT_PID" 2>/dev/null || true
                        TGT_LEFT+=$'\n'"tgtd (pid $TGT_PID) had to be killed"
                        leak "tgtd (pid $TGT_PID) had to be killed"
                fi
        fi
        wait "$TGT_PID" 2>/dev/null || true
        rm -f "$TGT_RUNDIR/socket.$TGT_CONTROL" "$TGT_RUNDIR/socket.$TGT_CONTROL.lock"
        TGT_PID=""
}

tgt_leak_check() {
        local left=$TGT_LEFT inv
        if [ -n "$TGT_PID" ] && kill -0 "$TGT_PID" 2>/dev/null; then
                inv=$(tgt_inventory) || inv="tgtd (control $TGT_CONTROL) did not list its targets"
                left+=$'\n'"$inv"
        fi
        left=$(sed '/^$/d' <<<"$left")
        [ -z "$left" ] || leak "left on tgtd (control $TGT_CONTROL): $(tr '\n' ';' <<<"$left")"
        return 0
}
