#!/bin/bash
# Crash safety: every failpoint of `vlanalloc failpoints`, armed as `crash`
# (the daemon dies as by kill -9) during an acquire and during a release, and
# armed as `error` (the point fails once it is reached). After each, the
# daemon is restarted without failpoints and must hold a consistent state:
# a job is either held with every step done and exactly its plan's ids, or
# not held at all with nothing held for it; `vlanalloc check` is clean and a
# release frees everything. Also: a delayed acquire is idempotent for a second
# concurrent caller, and a bad VCLUSTER_FAILPOINTS stops the daemon at once.
. "$(dirname "$0")/lib.sh"
vc_setup
start_munged
REAP_INTERVAL=3600 write_conf # the reaper must not race the checks below
NODES='a001,c001'             # sites a and c share no L2Domain: stitched, 2 switch steps

FPS=$("$BIN/vlanalloc" failpoints | awk '{print $1}')
n_fps=$(wc -w <<<"$FPS")
[ "$n_fps" -ge 10 ] || fail "vlanalloc failpoints lists only $n_fps names: $FPS"
say "$n_fps failpoints: $(tr "\n" " " <<<"$FPS")"

# start_daemon_fp SPEC: start_daemon with VCLUSTER_FAILPOINTS=SPEC.
start_daemon_fp() {
        echo "=== vlanallocd VCLUSTER_FAILPOINTS=$1" >>"$T/daemon.log"
        VCLUSTER_FAILPOINTS="$1" start_daemon || fail "vlanallocd ($1) died at start"
}
start_clean() {
        echo "=== vlanallocd (no failpoints)" >>"$T/daemon.log"
        start_daemon || fail "vlanallocd died at start"
}

# run_va CMD…: run va, keep stdout in $OUT, stderr in $ERR, status in $RC.
run_va() {
        RC=0
        OUT=$(va "$@" 2>"$T/stderr") || RC=$?
        ERR=$(cat "$T/stderr")
}

# expect_crashed WHAT: the client said exit 2; the daemon must die with 137 promptly.
expect_crashed() {
        expect_in "connection closed (daemon died" "$ERR"
        for _ in $(seq 200); do
                kill -0 "$DAEMON_PID" 2>/dev/null || break
                sleep 0.05
        done
        kill -0 "$DAEMON_PID" 2>/dev/null && fail "$1: client exit 2 but the daemon is still running"
        wait_daemon_exit
        [ "$DAEMON_RC" = 137 ] || fail "$1: daemon exited $DAEMON_RC, expected 137 (crash failpoint)"
        CRASHES=$((CRASHES + 1))
}

# held_by JOB: "site:vlan,…" of ids the holds table gives to JOB (sorted).
held_by() {
        va list --json | jq -r --argjson j "$1" '[.vlans[] | select(.job == $j) | "\(.site):\(.vlan)"] | sort | join(",")'
}

# consistent JOB WHAT: assert JOB's state is consistent; sets JSTATE to
# held, released, failed, releasing (only with ALLOW_RELEASING=1) or unknown.
consistent() {
        local job=$1 what=$2 rc=0 show ids
        show=$(va show "$job" --json 2>"$T/stderr") || rc=$?
        ids=$(held_by "$job")
        if [ $rc = 1 ] && grep -q "is not known" "$T/stderr"; then
                JSTATE=unknown
                [ -z "$ids" ] || fail "$what: job $job unknown but holds $ids"
        elif [ $rc = 0 ]; then
                JSTATE=$(jq -r .state <<<"$show")
                local nsteps plan_ids
                nsteps=$(jq '.steps | length' <<<"$show")
                case $JSTATE in
                held)
                        [ "$nsteps" = 2 ] || fail "$what: held job $job has $nsteps steps: $show"
                        jq -e '.steps | all(.state == "done")' <<<"$show" >/dev/null ||
                                fail "$what: job $job held but steps: $(jq -c '[.steps[].state]' <<<"$show")"
                        plan_ids=$(jq -r '[.sites[] | "\(.name):\(.vlan)"] | sort | join(",")' <<<"$show")
                        [ "$(jq '.sites | length' <<<"$show")" = 2 ] || fail "$what: held job $job plan: $show"
                        [ "$plan_ids" = "$ids" ] || fail "$what: job $job held, plan ids '$plan_ids' but holds '$ids'"
                        ;;
                released | failed)
                        [ -z "$ids" ] || fail "$what: job $job is $JSTATE but still holds $ids"
                        jq -e '.steps | all(.state == "undone" or .state == "planned")' <<<"$show" >/dev/null ||
                                fail "$what: job $job $JSTATE but steps: $(jq -c '[.steps[].state]' <<<"$show")"
                        ;;
                releasing)
                        [ "${ALLOW_RELEASING:-0}" = 1 ] || fail "$what: job $job left $JSTATE after restart: $show"
                        # a release that failed half-way keeps every id it has not freed
                        plan_ids=$(jq -r '[.sites[] | "\(.name):\(.vlan)"] | sort | join(",")' <<<"$show")
                        [ "$plan_ids" = "$ids" ] || fail "$what: job $job releasing, plan ids '$plan_ids' but holds '$ids'"
                        ;;
                *) fail "$what: job $job left in state '$JSTATE': $show" ;;
                esac
        else
                fail "$what: show $job exited $rc: $(cat "$T/stderr")"
        fi
        if [ "$JSTATE" != releasing ]; then
                rc=0
                va check >"$T/check" 2>&1 || rc=$?
                [ $rc = 0 ] || fail "$what: check exited $rc after job $job ended $JSTATE: $(cat "$T/check")"
        fi
}

# release_all JOB WHAT: release → 0, then nothing at all is held, check clean.
release_all() {
        run_va release "$1"
        [ "$RC" = 0 ] || fail "$2: release $1 exited $RC: $ERR"
        local n
        n=$(va list --json | jq '.vlans | length')
        [ "$n" = 0 ] || fail "$2: after release $1, $n VLAN(s) still held: $(va list)"
        consistent "$1" "$2 (after release)"
        case $JSTATE in held | releasing) fail "$2: job $1 still $JSTATE after release" ;; esac
}

has_event() { va show "$1" --json | jq -e --arg e "$2" '[.history[].event] | index($e) != null' >/dev/null; }

CRASHES=0
declare -A SEEN=()
job=1000

say "crash loop: each failpoint armed as crash, during acquire and during release"
for fp in $FPS; do
        # ---- phase acquire
        job=$((job + 1))
        start_daemon_fp "$fp=crash"
        run_va acquire $job --nodes "$NODES" --json
        case $RC in
        0)
                outcome="not on path"
                kill -0 "$DAEMON_PID" 2>/dev/null || fail "$fp/acquire: acquire succeeded but the daemon died"
                [ "$(jq -r .state <<<"$OUT")" = held ] || fail "$fp/acquire: reply $OUT"
                stop_daemon
                start_clean
                consistent $job "$fp/acquire"
                [ "$JSTATE" = held ] || fail "$fp/acquire: acquire said ok, job is $JSTATE"
                [ "$(jq -r '[.sites[] | "\(.name):\(.vlan)"] | sort | join(",")' <<<"$OUT")" = "$(held_by $job)" ] ||
                        fail "$fp/acquire: the reply's plan is not what is held"
                ;;
        2)
                expect_crashed "$fp/acquire"
                start_clean
                consistent $job "$fp/acquire"
                case $JSTATE in
                held) outcome="crashed → held" ;;
                failed)
                        has_event $job rolled-back-at-restart || fail "$fp/acquire: failed without a rollback at restart"
                        outcome="crashed → rolled back at restart" ;;
                unknown) outcome="crashed → never recorded" ;;
                *) fail "$fp/acquire: crashed, then job is $JSTATE" ;;
                esac
                ;;
        *) fail "$fp/acquire: acquire exited $RC: $ERR" ;;
        esac
        SEEN[acquire:$outcome]=1
        printf '  %-24s acquire  %s\n' "$fp" "$outcome"
        release_all $job "$fp/acquire"
        stop_daemon

        # ---- phase release
        job=$((job + 1))
        start_clean
        run_va acquire $job --nodes "$NODES" --json
        [ "$RC" = 0 ] || fail "$fp/release: clean acquire exited $RC: $ERR"
        consistent $job "$fp/release (before)"
        [ "$JSTATE" = held ] || fail "$fp/release: not held before the release"
        stop_daemon
        start_daemon_fp "$fp=crash"
        run_va release $job
        case $RC in
        0)
                outcome="not on path"
                kill -0 "$DAEMON_PID" 2>/dev/null || fail "$fp/release: release succeeded but the daemon died"
                [ "$OUT" = released ] || fail "$fp/release: release said '$OUT'"
                stop_daemon
                start_clean
                consistent $job "$fp/release"
                [ "$JSTATE" = released ] || fail "$fp/release: release said ok, job is $JSTATE"
                ;;
        2)
                expect_crashed "$fp/release"
                start_clean
                consistent $job "$fp/release"
                case $JSTATE in
                released)
                        if has_event $job released-at-restart; then
                                outcome="crashed → release finished at restart"
                        else
                                has_event $job released || fail "$fp/release: released with no released event"
                                outcome="crashed → already released"
                        fi ;;
                held) outcome="crashed → still held (release not recorded)" ;;
                *) fail "$fp/release: crashed, then job is $JSTATE" ;;
                esac
                ;;
        *) fail "$fp/release: release exited $RC: $ERR" ;;
        esac
        SEEN[release:$outcome]=1
        printf '  %-24s release  %s\n' "$fp" "$outcome"
        release_all $job "$fp/release"
        stop_daemon
done
say "$CRASHES (failpoint, phase) pairs crashed"
[ "$CRASHES" -ge 10 ] || fail "only $CRASHES crashes: the crash loop is (nearly) vacuous"
for o in "acquire:crashed → held" "acquire:crashed → rolled back at restart" "acquire:crashed → never recorded" \
        "release:crashed → release finished at restart" "release:crashed → still held (release not recorded)"; do
        [ -n "${SEEN[$o]:-}" ] || fail "no failpoint produced the outcome '$o'"
done

say "error loop: each failpoint armed as error"
job=3000
for fp in $FPS; do
        job=$((job + 1))
        start_daemon_fp "$fp=error"
        run_va acquire $job --nodes "$NODES" --json
        kill -0 "$DAEMON_PID" 2>/dev/null || fail "$fp/error: the daemon died"
        case $RC in
        0)
                aout="acquired"
                consistent $job "$fp/error acquire"
                [ "$JSTATE" = held ] || fail "$fp/error: acquire ok but job is $JSTATE"
                ;;
        4)
                case $ERR in *"; rolled back"* | *"; rollback incomplete"* | *"injected failure"*) ;;
                *) fail "$fp/error: exit 4 says neither how the rollback went nor the injected failure: $ERR" ;;
                esac
                ALLOW_RELEASING=1 consistent $job "$fp/error acquire"
                case $JSTATE in
                failed) aout="step failed, rolled back" ;;
                releasing)
                        # the rollback hit the failpoint too: ids stay held, check says so
                        expect_in "rollback incomplete" "$ERR"
                        [ -n "$(held_by $job)" ] || fail "$fp/error: rollback incomplete but nothing held"
                        rc=0; va check >"$T/check" 2>&1 || rc=$?
                        [ $rc = 5 ] || fail "$fp/error: check exited $rc with job $job stuck releasing"
                        grep -q "job $job is stuck releasing" "$T/check" || fail "$fp/error: check: $(cat "$T/check")"
                        aout="step failed, rollback incomplete (reported)" ;;
                *) fail "$fp/error: exit 4 and job is $JSTATE" ;;
                esac
                ;;
        2)
                # failed before anything was committed: nothing to roll back
                expect_in "cannot record the allocation" "$ERR"
                consistent $job "$fp/error acquire"
                [ "$JSTATE" = unknown ] || fail "$fp/error: exit 2 but job is $JSTATE"
                aout="refused, nothing recorded"
                ;;
        *) fail "$fp/error: acquire exited $RC: $ERR" ;;
        esac
        rout="-"
        if [ "$JSTATE" != unknown ] && [ "$JSTATE" != failed ]; then
                run_va release $job
                kill -0 "$DAEMON_PID" 2>/dev/null || fail "$fp/error: the daemon died in release"
                if [ "$RC" = 0 ]; then
                        rout="released"
                        consistent $job "$fp/error release"
                        [ "$JSTATE" = released ] || fail "$fp/error: release ok but job is $JSTATE"
                else
                        [ "$RC" = 4 ] || [ "$RC" = 2 ] || fail "$fp/error: release exited $RC: $ERR"
                        ALLOW_RELEASING=1 consistent $job "$fp/error release"
                        rout="release failed ($RC), job $JSTATE"
                fi
        fi
        stop_daemon
        start_clean # recovery finishes what the failpoint left
        consistent $job "$fp/error after restart"
        printf '  %-24s error    %s; %s; after restart %s\n' "$fp" "$aout" "$rout" "$JSTATE"
        SEEN["error:$aout"]=1
        case $rout in "release failed"*) SEEN["error:release failed"]=1 ;; esac
        release_all $job "$fp/error"
        stop_daemon
done

# the loop must have hit each kind of failure, or it proved nothing
for o in "error:step failed, rolled back" "error:refused, nothing recorded" "error:release failed"; do
        [ -n "${SEEN[$o]:-}" ] || fail "the error loop never produced '${o#error:}'"
done

say "delay: a second acquire of a job in flight waits and returns the same plan"
start_daemon_fp "step.do.before=delay:1500"
va acquire 4001 --nodes "$NODES" --json >"$T/p1" 2>"$T/e1" &
p1=$!
# wait for the state, not a guess at timing: then ~3 s of steps remain
for _ in $(seq 100); do
        [ "$(va show 4001 --json 2>/dev/null | jq -r .state)" = acquiring ] && break
        sleep 0.05
done
[ "$(va show 4001 --json | jq -r .state)" = acquiring ] || fail "job 4001 never seen acquiring while its steps are delayed"
va acquire 4001 --nodes "$NODES" --json >"$T/p2" 2>"$T/e2" &
p2=$!
rc=0; wait $p1 || rc=$?; [ $rc = 0 ] || fail "first acquire exited $rc: $(cat "$T/e1")"
rc=0; wait $p2 || rc=$?; [ $rc = 0 ] || fail "second acquire exited $rc: $(cat "$T/e2")"
[ "$(jq -r .state "$T/p1")" = held ] || fail "first plan: $(cat "$T/p1")"
[ "$(jq -S . "$T/p1")" = "$(jq -S . "$T/p2")" ] || fail "the two acquires differ: $(cat "$T/p1") vs $(cat "$T/p2")"
va show 4001 --json | jq -e '[.history[] | select(.event == "acquire")] | length == 1' >/dev/null ||
        fail "job 4001 acquired twice: $(va show 4001 --json | jq -c .history)"
consistent 4001 "delay"
[ "$JSTATE" = held ] || fail "delay: job 4001 is $JSTATE"
release_all 4001 "delay"
stop_daemon

say "a bad VCLUSTER_FAILPOINTS stops vlanallocd before it does anything"
sed "s|StateDir=$T/state|StateDir=$T/state-bad|" "$CONF" >"$T/bad.conf"
for spec_want in "nosuch.point=crash|unknown failpoint 'nosuch.point'" \
        "step.do.before=explode|step.do.before=explode: action must be error, crash or delay:MS" \
        "step.do.before=delay:x|step.do.before=delay:x: action must be" \
        "step.do.before|'step.do.before': expected name=error|crash|delay:MS" \
        "step.do.before=error,bogus=crash|unknown failpoint 'bogus'"; do
        spec=${spec_want%%|*}
        want=${spec_want#*|}
        rc=0
        msg=$(VCLUSTER_FAILPOINTS="$spec" timeout 10 "$BIN/vlanallocd" -f -c "$T/bad.conf" 2>&1) || rc=$?
        [ $rc = 1 ] || fail "VCLUSTER_FAILPOINTS='$spec': vlanallocd exited $rc, expected 1: $msg"
        expect_in "$want" "$msg"
        [ ! -e "$T/state-bad" ] || fail "VCLUSTER_FAILPOINTS='$spec': vlanallocd created its StateDir"
done

start_clean
pass
