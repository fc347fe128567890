#!/bin/bash
# test_cli — what an admin and a user type (issue 19): global options after
# the command, one error line when the daemon is down, --noheader, user
# names in tables, a versioned JSON schema, --version and long options on
# every program.
. "$(dirname "$0")/lib.sh"
vc_setup
start_munged
write_conf
V=$(cat "$ROOT/VERSION")

say "every program says its version, and the daemons take long options"
for p in vlanallocd vlanalloc vcluster vcluster-storaged vcluster-prolog vcluster-epilog; do
        out=$("$BIN/$p" --version 2>&1) || fail "$p --version failed: $out"
        [ "$out" = "$p $V" ] || fail "$p --version says '$out', not '$p $V'"
done
"$BIN/vlanallocd" --help | grep -q -- "--foreground" || fail "vlanallocd --help shows no long options"
for p in vlanalloc vcluster vcluster-prolog vcluster-epilog; do
        "$BIN/$p" --help | grep -q "^usage: $p" || fail "$p --help shows no usage"
done
"$BIN/vcluster-storaged" --help | grep -q -- "--storage" || fail "vcluster-storaged --help shows no long options"
expect_exit 1 "$BIN/vlanallocd" --no-such-option
expect_in "unrecognized option '--no-such-option'" "$ERR"

say "the daemon down: one error line that says why (no '(null)')"
ERR=$("$BIN/vcluster" status 5 -c "$CONF" 2>&1 >/dev/null) && fail "status succeeded with no daemon"
[ "$(printf '%s\n' "$ERR" | wc -l)" = 1 ] || fail "more than one error line: $ERR"
expect_in "cannot reach vlanallocd" "$ERR"
case $ERR in *"(null)"*) fail "'(null)' in: $ERR" ;; esac

say "vlanallocd tells the service manager it is ready (Type=notify) once it answers"
"$TOOLS/notifywait" "$T/notify" 30 >"$T/notify.out" 2>&1 &
NOTIFY_PID=$!
for _ in $(seq 50); do grep -q listening "$T/notify.out" && break; sleep 0.05; done
NOTIFY_SOCKET=$T/notify start_daemon
wait "$NOTIFY_PID" || fail "no READY=1 from vlanallocd: $(cat "$T/notify.out")"
grep -qx "READY=1" "$T/notify.out" || fail "the notification was not READY=1: $(cat "$T/notify.out")"
say "-c after the command means what it means before it"
va acquire 21 --nodes a001 --user root >/dev/null || fail "acquire failed"
before=$("$BIN/vlanalloc" -c "$CONF" show 21) || fail "show with -c before the command failed"
after=$("$BIN/vlanalloc" show 21 -c "$CONF") || fail "show with -c after the command failed"
[ "$before" = "$after" ] || fail "-c after the command differs: $after"
"$BIN/vcluster" status 21 --config="$CONF" >/dev/null || fail "vcluster status JOB --config=FILE failed"

say "tables name users as vcluster does, and --noheader drops the header"
show=$(va show 21)
echo "$show" | head -1 | grep -q "^JOB  *USER" || fail "show has no header: $show"
echo "$show" | grep -E "^21 +root " >/dev/null || fail "show does not name user root for job 21: $show"
list=$(va list)
echo "$list" | head -1 | grep -q "^SITE" || fail "list has no header: $list"
nohdr=$(va list --noheader)
echo "$nohdr" | head -1 | grep -qE "^a +[0-9]+ +held +21 " || fail "--noheader still prints a header: $nohdr"
[ "$(echo "$nohdr" | wc -l)" = "$(($(echo "$list" | wc -l) - 1))" ] || fail "--noheader dropped more than the header"

say "--json carries its schema version"
[ "$(va show 21 --json | jq -r .schema)" = 1 ] || fail "vlanalloc show --json has no schema 1"
[ "$(va list --json | jq -r .schema)" = 1 ] || fail "vlanalloc list --json has no schema 1"
[ "$("$BIN/vcluster" -c "$CONF" status 21 --json | jq -r .schema)" = 1 ] || fail "vcluster status --json has no schema 1"
say "vcluster wait -v shows each phase as it comes, with the time"
rc=0
ERR=$("$BIN/vcluster" -c "$CONF" wait 21 --timeout 1 -v 2>&1 >/dev/null) || rc=$?
[ "$rc" != 0 ] || fail "wait for a cluster that never gets ready succeeded"
echo "$ERR" | grep -qE "^job 21: [a-z]+ \(after [0-9.]+ s\)$" || fail "wait -v showed no phase: $ERR"
expect_in "job 21: still" "$ERR"
ERR=$("$BIN/vcluster" -c "$CONF" wait 21 --timeout 1 2>&1 >/dev/null) || true
echo "$ERR" | grep -q "(after " && fail "wait without -v and no terminal showed phases: $ERR"

say "vlanalloc metrics: Prometheus text of VLANs per site and state, jobs, clusters, drift"
m=$(va metrics --check) || fail "metrics failed: $m"
echo "$m" | grep -qx 'vcluster_up 1' || fail "metrics: no vcluster_up 1: $m"
echo "$m" | grep -qx 'vcluster_vlans{site="a",state="held"} 1' || fail "metrics: site a should hold 1 VLAN: $m"
free_a=$(va ranges --json | jq '.sites[] | select(.site == "a") | .free')
echo "$m" | grep -qx "vcluster_vlans{site=\"a\",state=\"free\"} $free_a" || fail "metrics: free at a is not $free_a: $m"
echo "$m" | grep -qx 'vcluster_jobs{state="held"} 1' || fail "metrics: 1 held job expected: $m"
echo "$m" | grep -qx 'vcluster_check_drift 0' || fail "metrics: drift expected 0: $m"
echo "$m" | grep -q '^# TYPE vcluster_vlans gauge$' || fail "metrics: no TYPE line"
va release 21 >/dev/null || fail "release failed"
m=$(va metrics) || fail "metrics failed"
echo "$m" | grep -qx 'vcluster_vlans{site="a",state="held"} 0' || fail "metrics: site a should hold none: $m"
expect_exit 1 va metrics --bogus
expect_in "metrics takes only --check" "$ERR"

say "DebugLevel=debug shows the hooks' debug lines; the default does not"
hook() {
        env -i PATH="$PATH" VCLUSTER_CONF="$1" VCLUSTER_HOOK_LOG="$2" SLURM_SCRIPT_CONTEXT=epilog_slurmd \
                SLURM_JOB_ID=22 SLURM_JOB_UID=0 SLURM_JOB_USER=root SLURMD_NODENAME=a001 SLURM_NODELIST=a001 \
                SPANK_VCLUSTER=vms=1 "$BIN/vcluster-epilog" || fail "the epilog of a job with nothing failed: $(cat "$2")"
}
hook "$CONF" "$T/quiet.log"
grep -q "epilog_slurmd on a001, configuration" "$T/quiet.log" && fail "a debug line at the default level"
{ cat "$CONF"; echo "DebugLevel=debug"; } >"$T/debug.conf"
hook "$T/debug.conf" "$T/debug.log"
grep -q "job 22: epilog_slurmd on a001, configuration $T/debug.conf" "$T/debug.log" ||
        fail "DebugLevel=debug did not reach the hook: $(cat "$T/debug.log")"
pass
