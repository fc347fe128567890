# slurm.sh — a real Slurm cluster for tests and the demo, sourced after lib.sh
# (needs $T, $MUNGE_SOCKET, free_port). Every node is a slurmd of its own on
# loopback (slurmd -N NAME, its own port), all with private paths.
#
#   start_vcluster_slurm NODES…  the real thing: spank_vcluster.so in
#       plugstack.conf (conf=$CONF), vcluster-prolog as PrologSlurmctld and
#       Prolog, vcluster-epilog as EpilogSlurmctld and Epilog,
#       PrologFlags=Alloc. Call write_conf first; NODES are names of its sites.
#   start_slurm HOOK NODES…      a bare cluster with HOOK as PrologSlurmctld and
#       EpilogSlurmctld ("" for none), no plugin.
#   stop_slurm                   stops exactly the processes started here.
#   hook_failpoints SPEC         arm failpoints in the hooks Slurm starts next.
# SLURM_NODE_CPUS (default 1) sets every node's CPUs, so jobs can share nodes,
# SLURM_NODE_MEM (MiB, default Slurm's 1) their RealMemory, and
# SLURM_SELECT_PARAMS (default CR_Core) SelectTypeParameters;
# SLURM_PROLOG_FLAGS (default Alloc) the PrologFlags of a cluster with node
# prologs; SLURM_CONF_EXTRA more slurm.conf lines (newline-separated).
# SLURM_CGROUP_CONF (a cgroup.conf's text) runs the nodes with
# proctrack/cgroup and task/cgroup instead of linuxproc and none: slurmd
# then makes /sys/fs/cgroup/CONTROLLER/slurm_NODE, which is not private to
# the run (use node names no concurrent test runs with cgroups), and
# stop_slurm removes what is left of it.
#
# Slurm starts hooks with an environment of its own making (no SLURM_CONF for
# controller hooks, nothing of ours), so the hooks are reached through two
# wrappers in $T that set VCLUSTER_CONF, SLURM_CONF and VCLUSTER_HOOK_LOG
# (every hook's log lines go to $T/hooks.log) and exec the real programs.
# The plugin is always the unsanitized build (see the Makefile): Slurm's own
# programs load it.
# The sanitized programs that talk to slurmctld (hooks, vcluster, vlanallocd's
# reaper) inherit this; see lsan.supp.
export LSAN_OPTIONS=suppressions=$ROOT/tests/integration/lsan.supp:print_suppressions=0
SLURM_PIDS=()
SLURM_NODES=()
SLURM_NODE_PIDS=()
SLURM_CTLD_PID=""
SLURM_CGROUP_NODES=()
HOOK_LOG=""

# _slurm_write_conf NODES…: slurm.conf from the SLURM_* variables the callers set.
_slurm_write_conf() {
        local n port ctld_port slurmd_port
        S=$T/slurm
        mkdir -p "$S/state" "$S/spool" "$S/log" "$S/run"
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
                if [ -n "${SLURM_CGROUP_CONF:-}" ]; then
                        printf '%s\n' "$SLURM_CGROUP_CONF" >"$S/cgroup.conf"
                        SLURM_CGROUP_NODES=("$@")
                        echo "ProctrackType=proctrack/cgroup"
                        echo "TaskPlugin=task/cgroup"
                else
                        echo "ProctrackType=proctrack/linuxproc"
                        echo "TaskPlugin=task/none"
                fi
                echo "SelectType=select/cons_tres"
                echo "SelectTypeParameters=${SLURM_SELECT_PARAMS:-CR_Core}"
                echo "SchedulerParameters=batch_sched_delay=0"
                echo "KillWait=5"
                echo "ReturnToService=2"
                [ -z "${SLURM_CTLD_HOOK:-}" ] || echo "PrologSlurmctld=$SLURM_CTLD_HOOK"
                [ -z "${SLURM_CTLD_EPILOG:-}" ] || echo "EpilogSlurmctld=$SLURM_CTLD_EPILOG"
                [ -z "${SLURM_NODE_PROLOG:-}" ] || echo "Prolog=$SLURM_NODE_PROLOG"
                [ -z "${SLURM_NODE_EPILOG:-}" ] || echo "Epilog=$SLURM_NODE_EPILOG"
                [ -z "${SLURM_PLUGSTACK:-}" ] || echo "PlugStackConfig=$SLURM_PLUGSTACK"
                [ -z "${SLURM_NODE_PROLOG:-}" ] || echo "PrologFlags=${SLURM_PROLOG_FLAGS:-Alloc}"
                # Job ids name host-wide things (the gateways' and access
                # paths' namespaces vcl-JOB-NODE…): another harness on this
                # machine starting at 1 too would meet ours and the product
                # would rightly refuse. A random first id keeps runs apart.
                case ${SLURM_CONF_EXTRA:-} in
                *FirstJobId=*) ;;
                *) echo "FirstJobId=$(((RANDOM << 15 | RANDOM) % 60000000 + 100000))" ;;
                esac
                [ -z "${SLURM_CONF_EXTRA:-}" ] || printf '%s\n' "$SLURM_CONF_EXTRA"
                port=$slurmd_port
                for n in "$@"; do
                        # the ports after free_port's are not known free (another
                        # harness may run beside this one): skip the taken ones
                        while ss -Htln "sport = :$port" | grep -q .; do port=$((port + 1)); done
                        echo "NodeName=$n NodeAddr=127.0.0.1 Port=$port CPUs=${SLURM_NODE_CPUS:-1}${SLURM_NODE_MEM:+ RealMemory=$SLURM_NODE_MEM} State=UNKNOWN"
                        port=$((port + 1))
                done
                echo "PartitionName=test Nodes=$(IFS=,; echo "$*") Default=YES MaxTime=INFINITE State=UP"
        } >"$S/slurm.conf"
        export SLURM_CONF=$S/slurm.conf
}

# start_slurmd NODE: (re)start one node's slurmd.
start_slurmd() {
        local n=$1 i
        mkdir -p "$S/spool/$n"
        slurmd -D -N "$n" -f "$SLURM_CONF" >>"$S/log/slurmd-$n.out" 2>&1 &
        SLURM_PIDS+=($!)
        for i in "${!SLURM_NODES[@]}"; do
                if [ "${SLURM_NODES[$i]}" = "$n" ]; then SLURM_NODE_PIDS[$i]=$!; fi
        done
}

# slurmd_pid NODE: the pid of that node's slurmd.
slurmd_pid() {
        local i
        for i in "${!SLURM_NODES[@]}"; do
                if [ "${SLURM_NODES[$i]}" = "$1" ]; then echo "${SLURM_NODE_PIDS[$i]}"; return; fi
        done
        fail "no slurmd for node $1"
}

# kill_slurmd NODE: SIGKILL that node's slurmd, as a crash would.
kill_slurmd() {
        local p
        p=$(slurmd_pid "$1")
        kill -KILL "$p"
        wait "$p" 2>/dev/null || true
}

_slurm_start() {
        local n
        _slurm_write_conf "$@"
        slurmctld -D -i -f "$SLURM_CONF" >"$S/log/slurmctld.out" 2>&1 &
        SLURM_CTLD_PID=$!
        SLURM_PIDS+=($!)
        SLURM_NODES=("$@")
        SLURM_NODE_PIDS=("$@")
        for n in "$@"; do start_slurmd "$n"; done
        CLEANUP_HOOKS+=(stop_slurm)
        for _ in $(seq 300); do
                [ "$(sinfo -h -o '%t' 2>/dev/null | sort -u)" = idle ] && return 0
                sleep 0.2
        done
        local late
        late=$(sinfo -h -t unk,down,drain -o '%N' 2>/dev/null)
        fail "Slurm nodes did not become idle: $(sinfo 2>&1; tail -5 "$S/log/slurmctld.log"
                for n in $(scontrol show hostnames "$late" 2>/dev/null); do echo "--- slurmd $n:"; tail -5 "$S/log/slurmd-$n.log" "$S/log/slurmd-$n.out" 2>&1; done)"
}

start_slurm() {
        SLURM_CTLD_HOOK=$1 SLURM_CTLD_EPILOG=$1
        shift
        _slurm_start "$@"
}

# _hook_wrapper NAME PROGRAM: $T/NAME, which gives PROGRAM the environment Slurm does not.
_hook_wrapper() {
        cat >"$T/$1" <<EOW
#!/bin/sh
export VCLUSTER_CONF='$CONF' SLURM_CONF='$T/slurm/slurm.conf' VCLUSTER_HOOK_LOG='$HOOK_LOG'
export LSAN_OPTIONS='$LSAN_OPTIONS'
# hook_failpoints SPEC arms failpoints in the hooks Slurm starts from then on
[ -f '$T/hook.failpoints' ] && VCLUSTER_FAILPOINTS=\$(cat '$T/hook.failpoints') && export VCLUSTER_FAILPOINTS
exec '$2'
EOW
        chmod 0755 "$T/$1"
}

start_vcluster_slurm() {
        [ -n "${CONF:-}" ] || fail "start_vcluster_slurm: call write_conf first"
        [ -f "$BIN/../lib/spank_vcluster.so" ] || fail "no $BIN/../lib/spank_vcluster.so: build it first"
        HOOK_LOG=$T/hooks.log
        : >"$HOOK_LOG"
        _hook_wrapper prolog "$BIN/vcluster-prolog"
        _hook_wrapper epilog "$BIN/vcluster-epilog"
        echo "required $(cd "$BIN/../lib" && pwd)/spank_vcluster.so conf=$CONF" >"$T/plugstack.conf"
        SLURM_CTLD_HOOK=$T/prolog SLURM_CTLD_EPILOG=$T/epilog SLURM_NODE_PROLOG=$T/prolog \
                SLURM_NODE_EPILOG=$T/epilog SLURM_PLUGSTACK=$T/plugstack.conf _slurm_start "$@"
        LEAK_HOOKS+=(slurm_leak_check)
}

# hook_failpoints SPEC: arm VCLUSTER_FAILPOINTS=SPEC in every hook started
# from now on ("" disarms).
hook_failpoints() {
        if [ -n "$1" ]; then echo "$1" >"$T/hook.failpoints"; else rm -f "$T/hook.failpoints"; fi
}

stop_slurm() {
        local p pp jobs
        # A test that fails mid-job leaves jobs running: end them while slurmctld
        # can, so their epilogs still run and no slurmstepd outlives its slurmd.
        if [ -n "$SLURM_CTLD_PID" ] && kill -0 "$SLURM_CTLD_PID" 2>/dev/null; then
                jobs=$(squeue -h -o %i 2>/dev/null || true)
                if [ -n "$jobs" ]; then
                        # shellcheck disable=SC2086
                        scancel $jobs 2>/dev/null || true
                        for _ in $(seq 100); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 0.2; done
                fi
        fi
        for p in "${SLURM_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
        for p in "${SLURM_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
        SLURM_PIDS=()
        # slurmd leaves its empty slurm_NODE trees in the host's cgroup fs
        local n d
        for n in "${SLURM_CGROUP_NODES[@]}"; do
                for d in /sys/fs/cgroup/*/"slurm_$n"; do
                        [ ! -d "$d" ] || find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
                        [ ! -d "$d" ] || leak "cgroup $d left (a process of the test still in it?)"
                done
        done
        SLURM_CGROUP_NODES=()
        # What is left of a job (its slurmd was killed): the batch script runs
        # from our private spool, and its slurmstepd is its parent.
        for p in $(pgrep -f -- "${S:-$T/slurm}/spool/" || true); do
                leak "a job's process outlived Slurm: $(ps -o pid=,args= -p "$p" 2>/dev/null | cut -c1-120)"
                pp=$(ps -o ppid= -p "$p" 2>/dev/null | tr -d ' ')
                kill -KILL "$p" 2>/dev/null || true
                [ -n "$pp" ] && [ "$(ps -o comm= -p "$pp" 2>/dev/null)" = slurmstepd ] && kill -KILL "$pp" 2>/dev/null || true
        done
}

# slurm_leak_check (a LEAK_HOOK, before stop_slurm cancels what is left): no
# job in the queue (a failed listing counts), no node kept state of a job,
# no hook crashed or leaked memory; the jobs of the hooks' log go to VC_JOBS
# (their namespaces vcl-JOB-NODE must be gone: vc_netns_leak_check).
slurm_leak_check() {
        local left jobs
        if [ -n "$SLURM_CTLD_PID" ] && kill -0 "$SLURM_CTLD_PID" 2>/dev/null; then
                if jobs=$(squeue -h -o '%i %T %r'); then
                        [ -z "$jobs" ] || leak "jobs still in Slurm's queue: $(tr '\n' ';' <<<"$jobs")"
                else
                        leak "squeue failed: cannot tell whether a job is left"
                fi
        fi
        left=$(find "$T/state/nodes" -mindepth 2 -maxdepth 2 2>/dev/null || true)
        [ -z "$left" ] || leak "node state left behind: $left"
        if [ -n "$HOOK_LOG" ] && grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$HOOK_LOG"; then
                grep -A20 -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$HOOK_LOG" | head -40 >&2
                leak "sanitizer report in the hooks' log"
        fi
        if [ -n "$HOOK_LOG" ] && [ -f "$HOOK_LOG" ]; then
                # shellcheck disable=SC2046
                vc_jobs $(grep -oE '\bjob [0-9]+' "$HOOK_LOG" | awk '{print $2}' | sort -un)
        fi
        return 0
}

# wait_job_gone JOB: until squeue no longer lists it (max 30 s).
wait_job_gone() {
        for _ in $(seq 150); do
                [ -z "$(squeue -h -j "$1" 2>/dev/null)" ] && return 0
                sleep 0.2
        done
        fail "job $1 still in squeue"
}

# wait_job_state JOB STATE [SECONDS]: until squeue shows JOB in STATE (default 30 s).
wait_job_state() {
        local i
        for i in $(seq $((${3:-30} * 5))); do
                [ "$(squeue -h -j "$1" -o %T 2>/dev/null)" = "$2" ] && return 0
                sleep 0.2
        done
        fail "job $1 never reached $2 (now: $(squeue -h -j "$1" -o '%T %r' 2>&1)); hooks: $(tail -5 "$HOOK_LOG" 2>/dev/null)"
}

# wait_released JOB: until vlanallocd reports JOB released (max 30 s).
wait_released() {
        for _ in $(seq 150); do
                [ "$(va show "$1" --json 2>/dev/null | jq -r .state)" = released ] && return 0
                sleep 0.2
        done
        fail "job $1 not released: $(va show "$1" 2>&1); hooks: $(tail -5 "$HOOK_LOG" 2>/dev/null)"
}

# node_plan NODE JOB: the plan NODE recorded for JOB.
node_plan() { cat "$T/state/nodes/$1/$2/plan.json"; }
