#!/bin/bash
# The reaper asks a real slurmctld: a job whose epilog never released its
# VLAN is released once slurmctld reports it finished, and a job slurmctld
# never knew is released too. No lease is set, so only Slurm can explain it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/slurm.sh"
vc_setup
trap 'stop_slurm; vc_cleanup' EXIT
start_munged
REAP_INTERVAL=1 write_conf
cat >"$T/hook" <<EOH
#!/bin/sh
# acquire only: this cluster "forgets" its epilog
[ "\$SLURM_SCRIPT_CONTEXT" = prolog_slurmctld ] || exit 0
exec "$BIN/vlanalloc" -c "$CONF" acquire "\$SLURM_JOB_ID" --nodes "\$SLURM_JOB_NODELIST" --user "\$SLURM_JOB_UID" >>"$T/hook.log" 2>&1
EOH
chmod 0755 "$T/hook"
start_slurm "$T/hook" a001 a002
start_daemon # after start_slurm: the daemon inherits SLURM_CONF

say "a job unknown to slurmctld is released by the reaper"
va acquire 777777 --nodes a003 >/dev/null

say "a finished job whose epilog did nothing is released by the reaper"
JOB=$(sbatch --parsable -N1 -o /dev/null --wrap 'sleep 4')
for _ in $(seq 100); do
        [ "$(va show "$JOB" --json 2>/dev/null | jq -r .state)" = held ] && break
        sleep 0.1
done
sleep 2 # two reaper passes while slurmctld says RUNNING
[ "$(squeue -h -j "$JOB" -o %T)" = RUNNING ] || fail "job $JOB should still run"
[ "$(va show "$JOB" --json | jq -r .state)" = held ] || fail "the reaper released a running job: $(va show "$JOB")"
wait_job_gone "$JOB"
for _ in $(seq 100); do
        [ "$(va show "$JOB" --json 2>/dev/null | jq -r .state)" = released ] &&
                [ "$(va show 777777 --json | jq -r .state)" = released ] && break
        sleep 0.1
done
va show "$JOB" --json | jq -e '.state == "released"' >/dev/null || fail "job $JOB not reaped: $(va show "$JOB")"
va show "$JOB" --json | jq -e '[.history[] | select(.event == "release") | .detail] | any(test("slurmctld reports job [0-9]+ COMPLETED"))' >/dev/null ||
        fail "reason missing: $(va show "$JOB" --json | jq -c .history)"
va show 777777 --json | jq -e '[.history[].detail] | any(. != null and test("slurmctld does not know job 777777"))' >/dev/null ||
        fail "reason missing: $(va show 777777 --json | jq -c .history)"
grep -q "reaper: releasing job $JOB: slurmctld reports" "$T/daemon.log" || fail "reaper did not log its reason"
stop_slurm
pass
