#!/bin/bash
# When a job cannot get its VLAN, Slurm requeues it (PrologSlurmctld failed)
# and the job says why: a pool of one VLAN makes the second job wait, pending
# with "vcluster: waiting for a free VLAN: …" in its AdminComment, and it runs
# as soon as the first job gives the VLAN back (its epilog wakes it; Slurm's
# own requeue delay is about two minutes). A request that can never succeed
# (a node in no site) is held with the reason instead of retried.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/slurm.sh"
vc_setup
start_munged
VLANS_C=2000-2000 write_conf
start_vcluster_slurm c001 c002 z001
start_daemon

gate() { echo "while [ ! -e $T/open.$1 ]; do sleep 0.2; done"; }

say "the first job takes site c's only VLAN"
J1=$(sbatch --parsable -N1 -w c001 --vcluster=name=one -o /dev/null --wrap "$(gate 1)")
wait_job_state "$J1" RUNNING
[ "$(va show "$J1" --json | jq -r '.state + " " + (.sites[0].vlan|tostring)')" = "held 2000" ] ||
        fail "first job: $(va show "$J1")"

say "the second job waits, pending, with a reason its user can read"
J2=$(sbatch --parsable -N1 -w c002 --vcluster=name=two -o "$T/two.out" --wrap 'echo "VLAN=$VCLUSTER_VLAN"')
# The note is written while the prolog still runs (CONFIGURING); Slurm requeues once it exits.
for _ in $(seq 100); do
        info=$(scontrol show job "$J2" 2>/dev/null)
        case "$info" in *"JobState=PENDING"*"AdminComment=vcluster: waiting"*) break ;; esac
        sleep 0.2
done
expect_in "JobState=PENDING" "$info"
expect_in "AdminComment=vcluster: waiting for a free VLAN: no VLAN id free (c: 0 of 1 free)" "$info"
expect_in "Restarts=1" "$info"
case "$info" in *"Priority=0 "*) fail "a waiting job must not be held: $info" ;; esac
grep -q "job $J2: acquire on c002 refused (pool-exhausted)" "$T/hooks.log" || fail "prolog did not log the refusal: $(cat "$T/hooks.log")"
st=$("$BIN/vcluster" status "$J2")
expect_in "phase pending" "$st"
expect_in "waiting for a free VLAN" "$st"
[ -z "$(find "$T/state/nodes" -path "*/$J2" 2>/dev/null)" ] || fail "node prolog ran for a job without a VLAN"
sleep 3
[ "$(squeue -h -j "$J2" -o %T)" = PENDING ] || fail "second job must keep waiting while the VLAN is held"
[ "$(scontrol show job "$J2" | grep -o 'Restarts=[0-9]*')" = Restarts=1 ] || fail "requeued in a loop: $(scontrol show job "$J2")"

say "the first job ends: its epilog frees the VLAN and wakes the waiting job, which runs at once"
touch "$T/open.1"
wait_job_gone "$J1"
wait_released "$J1"
t0=$(date +%s)
wait_job_gone "$J2"
waited=$(($(date +%s) - t0))
[ "$waited" -lt 30 ] || fail "second job ran ${waited}s after the VLAN was freed"
grep -q "job $J2: acquired site c VLAN 2000" "$T/hooks.log" || fail "second job did not get VLAN 2000: $(cat "$T/hooks.log")"
[ "$(cat "$T/two.out")" = "VLAN=2000" ] || fail "second job saw: $(cat "$T/two.out")"
info=$(scontrol show job "$J2")
expect_in "JobState=COMPLETED" "$info"
case "$info" in *"AdminComment=vcluster"*) fail "the waiting note outlived the wait: $info" ;; esac
wait_released "$J2"
say "second job ran ${waited}s after the first one's VLAN came back"

say "a job that can never get a VLAN (its node is in no site) is held with the reason"
J3=$(sbatch --parsable -N1 -w z001 --vcluster=name=lost -o /dev/null --wrap true)
for _ in $(seq 100); do
        info=$(scontrol show job "$J3" 2>/dev/null)
        case "$info" in *"JobState=PENDING"*"AdminComment=vcluster: refused"*) break ;; esac
        sleep 0.2
done
expect_in "Reason=JobHeldAdmin" "$info"
expect_in "AdminComment=vcluster: refused, held: nodes: 'z001' is in no site" "$info"
expect_in "Priority=0" "$info"
scancel "$J3"
wait_job_gone "$J3"
va show "$J3" >/dev/null 2>&1 && fail "vlanallocd recorded a refused job: $(va show "$J3")"
pass
