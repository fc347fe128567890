#!/bin/bash
# The hooks can miss a job: here the slurmd of one of its nodes is killed
# while the job runs (that node's epilog never runs) and vlanallocd is down
# when the job ends (EpilogSlurmctld cannot release). The reaper releases the
# job once slurmctld reports it finished, well within LeaseGrace; when the
# node's slurmd comes back, Slurm runs the node's epilog after all and the
# node's state of the job is undone.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/slurm.sh"
vc_setup
start_munged
REAP_INTERVAL=1 LEASE_GRACE=60 write_conf
start_vcluster_slurm a001 a002
start_daemon

J=$(sbatch --parsable -N2 -w a001,a002 --time=10 --vcluster=name=lost -o /dev/null \
        --wrap "while [ ! -e $T/open ]; do sleep 0.2; done")
wait_job_state "$J" RUNNING
"$BIN/vcluster" wait "$J" --timeout 30 >/dev/null || fail "cluster of job $J never became ready"
[ -f "$T/state/nodes/a002/$J/plan.json" ] || fail "a002 recorded no plan"

say "a002's slurmd dies during the job; vlanallocd is down when the job ends"
kill_slurmd a002
stop_daemon
touch "$T/open"
# EpilogSlurmctld retries for its patience (20 s) before it gives up to the reaper.
for _ in $(seq 200); do grep -q "job $J: release: .*(the reaper will release it)" "$T/hooks.log" && break; sleep 0.2; done
grep -q "job $J: release: cannot reach vlanallocd.*(the reaper will release it)" "$T/hooks.log" ||
        fail "EpilogSlurmctld should have given up releasing: $(cat "$T/hooks.log")"
[ -d "$T/state/nodes/a002/$J" ] || fail "a002's state should still be there (its epilog cannot run)"
# a002 cannot confirm the end: Slurm keeps the job COMPLETING meanwhile
[ "$(squeue -h -j "$J" -o %T)" = COMPLETING ] || fail "job $J: $(squeue -h -j "$J" -o %T)"

say "vlanallocd is back: the reaper releases the job because slurmctld reports it finished"
t0=$(date +%s)
start_daemon
wait_released "$J"
took=$(($(date +%s) - t0))
[ "$took" -lt 60 ] || fail "released after ${took}s, LeaseGrace is 60s"
va show "$J" --json | jq -e '[.history[] | select(.event == "release") | .detail] | any(test("slurmctld reports job [0-9]+ (COMPLETED|CANCELLED)"))' >/dev/null ||
        fail "release reason: $(va show "$J" --json | jq -c .history)"
grep -q "reaper: releasing job $J: slurmctld reports" "$T/daemon.log" || fail "reaper did not log why"
say "released by the reaper ${took}s after vlanallocd came back"

say "a002's slurmd comes back: its epilog runs after all and undoes the node's state"
start_slurmd a002
for _ in $(seq 300); do [ ! -d "$T/state/nodes/a002/$J" ] && break; sleep 0.2; done
[ ! -d "$T/state/nodes/a002/$J" ] || fail "a002's state of job $J is still there: $(ls -R "$T/state/nodes/a002")"
wait_job_gone "$J"
grep -qE "job $J on a002: 1 node step\(s\) undone in [0-9]+ ms, state removed" "$T/hooks.log" || fail "a002 epilog: $(cat "$T/hooks.log")"
pass
