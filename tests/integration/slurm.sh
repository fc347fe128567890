# slurm.sh — a real Slurm cluster for tests and the demo, sourced after lib.sh
# (needs $T, $MUNGE_SOCKET, free_port). start_slurm HOOK NODES… starts
# slurmctld and one slurmd per node (all on loopback, private paths and
# ports) with HOOK as PrologSlurmctld and EpilogSlurmctld ("" for none);
# stop_slurm stops exactly those processes.
SLURM_PIDS=()

start_slurm() {
        local hook=$1 n port
        shift
        S=$T/slurm
        mkdir -p "$S/state" "$S/spool" "$S/log" "$S/run"
        local ctld_port slurmd_port
        ctld_port=$(free_port)
        slurmd_port=$(free_port)
        {
                echo "ClusterName=vctest"
                echo "SlurmctldHost=localhost(127.0.0.1)"
                echo "SlurmctldPort=$ctld_port"
                echo "SlurmUser=root"
                echo "AuthType=auth/munge"
                echo "AuthInfo=socket=$MUNGE_SOCKET"
                echo "CredType=cred/munge"
                echo "StateSaveLocation=$S/state"
                echo "SlurmdSpoolDir=$S/spool/%n"
                echo "SlurmctldPidFile=$S/run/slurmctld.pid"
                echo "SlurmdPidFile=$S/run/slurmd-%n.pid"
                echo "SlurmctldLogFile=$S/log/slurmctld.log"
                echo "SlurmdLogFile=$S/log/slurmd-%n.log"
                echo "ProctrackType=proctrack/linuxproc"
                echo "TaskPlugin=task/none"
                echo "SelectType=select/cons_tres"
                echo "SchedulerParameters=batch_sched_delay=0"
                echo "KillWait=5"
                echo "ReturnToService=2"
                if [ -n "$hook" ]; then
                        echo "PrologSlurmctld=$hook"
                        echo "EpilogSlurmctld=$hook"
                fi
                port=$slurmd_port
                for n in "$@"; do
                        echo "NodeName=$n NodeAddr=127.0.0.1 Port=$port CPUs=1 State=UNKNOWN"
                        port=$((port + 1))
                done
                echo "PartitionName=test Nodes=$(IFS=,; echo "$*") Default=YES MaxTime=INFINITE State=UP"
        } >"$S/slurm.conf"
        export SLURM_CONF=$S/slurm.conf
        slurmctld -D -i -f "$SLURM_CONF" >"$S/log/slurmctld.out" 2>&1 &
        SLURM_PIDS+=($!)
        for n in "$@"; do
                mkdir -p "$S/spool/$n"
                slurmd -D -N "$n" -f "$SLURM_CONF" >"$S/log/slurmd-$n.out" 2>&1 &
                SLURM_PIDS+=($!)
        done
        for _ in $(seq 150); do
                [ "$(sinfo -h -o '%t' 2>/dev/null | sort -u)" = idle ] && return 0
                sleep 0.2
        done
        fail "Slurm nodes did not become idle: $(sinfo 2>&1; tail -5 "$S/log/slurmctld.log")"
}

stop_slurm() {
        local p
        for p in "${SLURM_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
        for p in "${SLURM_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
        SLURM_PIDS=()
}

# wait_job_gone JOB: until squeue no longer lists it (max 30 s).
wait_job_gone() {
        for _ in $(seq 150); do
                [ -z "$(squeue -h -j "$1" 2>/dev/null)" ] && return 0
                sleep 0.2
        done
        fail "job $1 still in squeue"
}
