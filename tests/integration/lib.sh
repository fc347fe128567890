# lib.sh — sourced by every integration test. Starts the real daemons with
# private paths under one temp root, stops exactly what it started (by pid)
# on exit, and checks that the test left nothing behind.
#
# Usage in a test:  . "$(dirname "$0")/lib.sh"; vc_setup; start_munged;
#                   write_conf; start_daemon; … ; pass
set -eu

ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
VC_BUILD=${VC_BUILD:-build}
BIN=$ROOT/$VC_BUILD/bin
TOOLS=$ROOT/$VC_BUILD/tools
TEST_NAME=$(basename "$0" .sh)
T=""
MUNGED_PID=""
DAEMON_PID=""
VC_PORT=""

say() { printf '  %s\n' "$*"; }
fail() {
        VC_LEAK_COLLECT="" # a leak hook that fails outright ends the check: no more collecting
        printf 'FAIL %s: %s\n' "$TEST_NAME" "$*" >&2
        [ -n "$T" ] && [ -f "$T/daemon.log" ] && { echo "--- daemon log (tail):" >&2; tail -n 30 "$T/daemon.log" >&2; }
        exit 1
}
pass() {
        vc_leak_check
        printf 'PASS %s\n' "$TEST_NAME"
}

# A free TCP port on loopback, different for each test run.
free_port() {
        local p
        for _ in $(seq 50); do
                p=$((20000 + RANDOM % 20000))
                ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return; }
        done
        fail "no free port"
}

# Harness modules (ovs.sh, snmp.sh, …) register what they started here:
# CLEANUP_HOOKS run on exit (and in pass), first registered last; LEAK_HOOKS
# run in pass (vc_leak_check) BEFORE any cleanup hook, on the live system.
#
# The rule that keeps a leak from being cleaned away unseen: a leak hook
# looks at what is there now, while everything still runs, and calls
# `leak TEXT` for each thing that should be gone; a cleanup hook that removes
# something it did not make itself (a product's namespace, port, process,
# domain…) records it with `leak` before removing it, and so does a stop
# function that finds something only while stopping (a process that had to
# be killed, a fixture that exited non-zero). pass fails when anything was
# recorded, after everything is cleaned up. test_harness.sh plants one leak
# of each kind and requires pass to fail on it.
CLEANUP_HOOKS=()
LEAK_HOOKS=()
VC_LEAKS=()
VC_LEAK_COLLECT=""
# VC_JOBS: job ids of this run (vc_jobs adds; slurm.sh adds its own at
# pass): a product namespace vcl-JOB-… of one of them still there is a leak.
VC_JOBS=()

# leak TEXT: something that should be gone is not. In pass (and in the exit
# cleanup) it is recorded and pass fails at its end; called elsewhere (a test
# runs a leak hook itself mid-way) it fails the test at once.
leak() {
        if [ -n "$VC_LEAK_COLLECT" ]; then
                VC_LEAKS+=("$*")
        else
                fail "leak: $*"
        fi
}

vc_jobs() { VC_JOBS+=("$@"); }

# VC_OWN_PIDS: processes the harness started in namespaces it checks (an
# origin web server): theirs and their children's presence is no leak.
VC_OWN_PIDS=()
vc_is_own() {
        local p pp
        pp=$(ps -o ppid= -p "$1" 2>/dev/null | tr -d ' ')
        for p in "${VC_OWN_PIDS[@]}"; do
                [ "$p" = "$1" ] || [ "$p" = "$pp" ] && return 0
        done
        return 1
}
# vc_foreign_pids NS: the processes in namespace NS that the harness did not
# start, "PID ARGS" a line; fails when they cannot be listed
vc_foreign_pids() {
        local pids p
        pids=$(ip netns pids "$1") || return 1
        for p in $pids; do
                [ -e "/proc/$p" ] || continue # gone meanwhile
                vc_is_own "$p" && continue
                ps -o pid=,args= -p "$p" 2>/dev/null | cut -c1-120 || true
        done
        return 0
}

# vc_netns_leak_check: no product namespace (vcl-JOB or vcl-JOB-NODE) of a
# job of this run is left; a failed listing is a failure, never "none".
# Job ids and node names repeat across test runs on one machine (every
# Slurm of a test starts at job 1), so a namespace of that name is ours
# only when it was ever linked to one of this run's namespaces (vc$$…: the
# switch's, the WAN's): its netns ids, which outlive the veth, name it.
vc_netns_leak_check() {
        [ ${#VC_JOBS[@]} -gt 0 ] || return 0
        local list ns j ids
        list=$(ip netns list) || { leak "cannot list network namespaces"; return 0; }
        for ns in $(awk '{print $1}' <<<"$list" | grep '^vcl-' || true); do
                for j in "${VC_JOBS[@]}"; do
                        case $ns in "vcl-$j" | "vcl-$j-"*) ;; *) continue ;; esac
                        ids=$(ip -n "$ns" netns list-id 2>/dev/null) || continue # gone meanwhile
                        if grep -qE "netns name: vc$$[^0-9]" <<<"$ids"; then
                                leak "network namespace $ns (job $j) left"
                        fi
                done
        done
        return 0
}

vc_cleanup() {
        local rc=$? i
        VC_LEAK_COLLECT=1 # a stop function's leak record must not exit this trap
        for ((i = ${#CLEANUP_HOOKS[@]} - 1; i >= 0; i--)); do "${CLEANUP_HOOKS[$i]}" || true; done
        if [ -n "$DAEMON_PID" ]; then
                kill -TERM "$DAEMON_PID" 2>/dev/null || true
                wait "$DAEMON_PID" 2>/dev/null || true
        fi
        if [ -n "$MUNGED_PID" ]; then
                kill "$MUNGED_PID" 2>/dev/null || true
                wait "$MUNGED_PID" 2>/dev/null || true
        fi
        if [ -n "$T" ]; then
                if [ $rc -ne 0 ] && [ -n "${VC_KEEP:-}" ]; then echo "kept $T" >&2; else rm -rf "$T"; fi
        fi
        exit $rc
}

vc_setup() {
        T=$(mktemp -d /tmp/vc-"$TEST_NAME".XXXXXX)
        chmod 0711 "$T" # munged insists every directory above its socket is searchable
        trap vc_cleanup EXIT
        trap 'exit 130' INT TERM
        VC_PORT=$(free_port)
}

# spawn_munged DIR: a munged with its own key under DIR; sets SPAWNED_PID and
# SPAWNED_SOCKET. Two of them with different keys make a forged credential.
spawn_munged() {
        local d=$1
        mkdir -p "$d/run" "$d/lib" "$d/log"
        chmod 0711 "$d" "$d/run"
        mungekey -c -k "$d/munge.key"
        munged -F --key-file="$d/munge.key" --socket="$d/run/munge.socket.2" \
                --pid-file="$d/run/munged.pid" --log-file="$d/log/munged.log" \
                --seed-file="$d/lib/seed" --num-threads=8 >"$d/log/stdout" 2>&1 &
        SPAWNED_PID=$!
        SPAWNED_SOCKET=$d/run/munge.socket.2
        for _ in $(seq 100); do
                [ -S "$SPAWNED_SOCKET" ] && return 0
                sleep 0.05
        done
        fail "munged in $d did not start: $(cat "$d/log/stdout")"
}

start_munged() {
        spawn_munged "$T/munge"
        MUNGED_PID=$SPAWNED_PID
        MUNGE_SOCKET=$SPAWNED_SOCKET
}

# as_uid UID GID CMD…: run CMD as another (possibly passwd-less) user.
as_uid() {
        local u=$1 g=$2
        shift 2
        setpriv --reuid="$u" --regid="$g" --clear-groups "$@"
}

# test_user NAME HOME [MODE]: a user who is not root (own group, bash),
# HOME made and theirs (MODE, 0711 by default: the harness reaches below
# it); userdel'd by the cleanup. Tests that need the job's user to be a real
# one (the access path, cloud-init's account, QEMU's DAC label) use it.
TEST_USERS=()
test_user() {
        useradd -M -d "$2" -s /bin/bash -U "$1" || fail "useradd $1"
        [ ${#TEST_USERS[@]} -gt 0 ] || CLEANUP_HOOKS+=(drop_test_users)
        TEST_USERS+=("$1")
        mkdir -p "$2"
        chown "$1:$1" "$2"
        chmod "${3:-0711}" "$2"
}
drop_test_users() {
        local u
        for u in "${TEST_USERS[@]}"; do userdel "$u" 2>/dev/null || true; done
}
# as_user NAME CMD…: CMD as NAME (test_user), in their home, with their groups.
as_user() {
        local u=$1 h
        shift
        h=$(getent passwd "$u" | cut -d: -f6)
        (cd "$h" && setpriv --reuid="$(id -u "$u")" --regid="$(id -g "$u")" --init-groups env HOME="$h" "$@")
}

# skip_real_image_in_san: a real-image cluster takes minutes to boot under
# TCG, so such a test runs in the hardened pass only (the sanitized pass runs
# the same code in the unit and busybox tests), unless VC_SLOW_TWICE=1.
skip_real_image_in_san() {
        if [ "${VC_BUILD:-build}" = build-san ] && [ -z "${VC_SLOW_TWICE:-}" ]; then
                echo "SKIP $TEST_NAME (real-image cluster: the hardened pass runs it; VC_SLOW_TWICE=1 runs it here too)"
                exit 0
        fi
}

# wait_log TEXT [FROM_LINE]: until the daemon log (after FROM_LINE) holds TEXT, max 5 s.
wait_log() {
        local from=${2:-0}
        for _ in $(seq 50); do
                tail -n +$((from + 1)) "$T/daemon.log" | grep -qF -- "$1" && return 0
                sleep 0.1
        done
        fail "daemon log never said '$1'"
}

# write_conf [EXTRA_LINES…]: a two-site config; site a has fragmented ranges.
# SWITCH_A/B/C replace the driver-none switch line of that site.
# write_conf: sites a, b (L2Domain campus) and c; L2EXT_A/B/C pick their L2Ext
# (default none: stitched jobs get per-site VLANs and no tunnel, as a site
# whose WAN joins them would).
write_conf() {
        CONF=$T/vcluster.conf
        cat >"$CONF" <<EOC
# written by $TEST_NAME
ControllerAddr=127.0.0.1:$VC_PORT StateDir=$T/state SlurmUser=root AdminGroup=adm
LeaseGrace=${LEASE_GRACE:-300} ReapInterval=${REAP_INTERVAL:-30} MungeSocket=$MUNGE_SOCKET
SiteName=a SiteId=1 VlanIds=${VLANS_A:-100-199,300-349} Nodes=a[001-016] L2Domain=campus L2Ext=${L2EXT_A:-none} ${SITE_A_EXTRA:-}
SiteName=b SiteId=2 VlanIds=${VLANS_B:-100-149,400-499} Nodes=b[001-016] L2Domain=campus L2Ext=${L2EXT_B:-none} ${SITE_B_EXTRA:-}
SiteName=c SiteId=3 VlanIds=${VLANS_C:-2000-2099} Nodes=c[001-008] L2Ext=${L2EXT_C:-none} ${SITE_C_EXTRA:-}
${SWITCH_A:-SwitchName=swa Site=a Driver=none}
${SWITCH_B:-SwitchName=swb Site=b Driver=none}
${SWITCH_C:-SwitchName=swc Site=c Driver=none}
EOC
        for l in "$@"; do echo "$l" >>"$CONF"; done
        export VCLUSTER_CONF=$CONF
}

# start_daemon: vlanallocd in the foreground, answering; 1 if it died at start.
# VCLUSTER_FAILPOINTS in the caller's environment reaches it.
start_daemon() {
        : >>"$T/daemon.log"
        "$BIN/vlanallocd" -f -c "$CONF" >>"$T/daemon.log" 2>&1 &
        DAEMON_PID=$!
        for _ in $(seq 200); do
                if "$BIN/vlanalloc" -c "$CONF" ranges >/dev/null 2>&1; then return 0; fi
                kill -0 "$DAEMON_PID" 2>/dev/null || { wait "$DAEMON_PID" || true; DAEMON_PID=""; return 1; }
                sleep 0.05
        done
        fail "vlanallocd did not answer"
}

# stop_daemon: SIGTERM, then require a clean exit and no sanitizer report.
stop_daemon() {
        [ -n "$DAEMON_PID" ] || return 0
        local rc=0
        kill -TERM "$DAEMON_PID" 2>/dev/null || true
        wait "$DAEMON_PID" 2>/dev/null || rc=$?
        DAEMON_PID=""
        sanitizer_check
        [ "$rc" = 0 ] || fail "vlanallocd exited $rc on SIGTERM"
}

# sanitizer_check: ASan/UBSan/LSan reports anywhere in the daemon's log fail the test.
sanitizer_check() {
        if [ -f "$T/daemon.log" ] && grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$T/daemon.log"; then
                local log=$T/daemon.log
                grep -A25 -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$log" | head -60 >&2
                fail "sanitizer report in the daemon log"
        fi
}

# wait_daemon_exit: the daemon is expected to die on its own (a crash
# failpoint); sets DAEMON_RC to its exit status. Not for $(…): a subshell
# cannot wait for the daemon.
wait_daemon_exit() {
        DAEMON_RC=0
        wait "$DAEMON_PID" || DAEMON_RC=$?
        DAEMON_PID=""
}

va() { "$BIN/vlanalloc" -c "$CONF" "$@"; }

# expect_exit CODE CMD…: run CMD, require its exit status, keep its stderr in $ERR.
expect_exit() {
        local want=$1 rc=0
        shift
        ERR=$("$@" 2>&1 >/dev/null) || rc=$?
        [ "$rc" = "$want" ] || fail "'$*' exited $rc, expected $want: $ERR"
}

expect_in() {
        case "$2" in *"$1"*) ;; *) fail "expected '$1' in: $2" ;; esac
}

# vc_leak_check: nothing of this test is left — every VLAN id free (unless the
# test drained it and undrained it), no job mid-transaction, state consistent,
# every module's leak hook content, and no process of ours alive besides the
# daemons we still track. In this order: the daemon's checks and the LEAK_HOOKS
# on the live system, then the daemon stops and the CLEANUP_HOOKS run (last
# registered first; they may record leaks too), then what only shows once
# everything stopped; then pass fails if anything was recorded.
vc_leak_check() {
        VC_LEAKS=()
        VC_LEAK_COLLECT=1
        if [ -n "$DAEMON_PID" ]; then
                local held drained
                held=$(va list --json | jq '[.vlans[] | select(.job != null)] | length') || held="?"
                [ "$held" = 0 ] || leak "$held VLAN(s) still held: $(va list 2>&1)"
                drained=$(va list --json | jq '[.vlans[]] | length') || drained="?"
                [ "$drained" = 0 ] || leak "$drained VLAN(s) still drained: $(va list 2>&1)"
                va check >/dev/null 2>&1 || leak "check reports drift: $(va check 2>&1)"
        fi
        local h i
        for h in "${LEAK_HOOKS[@]}"; do "$h"; done
        vc_netns_leak_check # after the hooks: slurm.sh's adds its jobs
        stop_daemon
        for ((i = ${#CLEANUP_HOOKS[@]} - 1; i >= 0; i--)); do "${CLEANUP_HOOKS[$i]}"; done
        # No process started from this test's temp root may outlive it.
        local left
        left=$(pgrep -f -- "$T/" | grep -v "^$MUNGED_PID\$" | grep -v "^$$\$" || true)
        [ -z "$left" ] || leak "processes still running: $(ps -o pid,cmd -p $(echo $left | tr ' ' ,))"
        [ ! -S "$T/state/vlanallocd.sock" ] || leak "the daemon's socket was not removed"
        VC_LEAK_COLLECT=""
        if [ ${#VC_LEAKS[@]} -gt 0 ]; then
                fail "leak: $(printf '%s; ' "${VC_LEAKS[@]}")"
        fi
        return 0
}
