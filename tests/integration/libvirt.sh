# libvirt.sh — a real libvirtd (system mode, QEMU driver, TCG guests) for
# tests, sourced after lib.sh and ovs.sh.
#
#   start_libvirtd [NETNS]  libvirtd with private /etc/libvirt, /run,
#                           /var/lib/libvirt, /var/log/libvirt and
#                           /var/cache/libvirt (all under $T/libvirt), in a
#                           mount namespace of its own, inside network
#                           namespace NETNS when given (pass $OVS_NS: QEMU's
#                           taps must live where the userspace ovs-vswitchd
#                           opens them), with OVS_RUNDIR in its environment;
#                           sets and exports LIBVIRT_URI (and
#                           LIBVIRT_DEFAULT_URI) and returns once it answers
#   vvirsh ARGS…            virsh against it
#   restart_libvirtd        stop libvirtd only — running guests stay up — and
#                           start it again on the same paths
#   stop_libvirtd           stop libvirtd, then kill any QEMU it left running
#                           (no destroy/undefine: that is the test's job)
#   libvirt_leak_check      (in LEAK_HOOKS, before stop_libvirtd) records a
#                           leak when a domain is still defined or running (or
#                           the listing fails); stop_libvirtd records a QEMU
#                           it had to kill
#
# How processes are laid out. `[nsenter --net=NETNS] unshare -m sh -c
# 'bind mounts; exec subreaper -l libvirtd'`: the bind mounts exist only in
# that new mount namespace, and the subreaper (tests/tools/subreaper.c, with
# PR_SET_CHILD_SUBREAPER) is libvirtd's parent. libvirt daemonizes every QEMU,
# so QEMU is re-parented to the subreaper (this machine's init reaps orphans
# slowly, and libvirt waits for a killed QEMU to be really gone). With -l the
# subreaper outlives libvirtd as long as any QEMU does, so a restart leaves
# the guests running — still reaped at once — while the new libvirtd (new
# subreaper, new mount namespace with the same bind mounts, so the same
# /run/libvirt and /var/lib/libvirt files and monitor sockets) reconnects to
# them. The old mount namespace lives on as long as its QEMUs do. "Our"
# processes are exactly those in one of the mount namespaces recorded at each
# start: nothing is ever looked up by name.
#
# LIBVIRT_DRIVERS (default "qemu secret") picks the connection drivers
# libvirtd loads; the network, nwfilter, storage, nodedev and interface
# drivers only add start-up work and host probing that no test needs.
LIBVIRT_DRIVERS=${LIBVIRT_DRIVERS:-"qemu secret"}
LIBVIRT_DIR=""
LIBVIRT_NETNS=""
LIBVIRT_URI=""
LIBVIRTD_PID=""
LIBVIRT_SUBREAPERS=()
LIBVIRT_MNTNS=()
LIBVIRT_KILLED=""
LIBVIRT_HOOKED=""
LIBVIRT_READY_MS=""

vvirsh() { virsh -c "$LIBVIRT_URI" "$@"; }

start_libvirtd() {
        LIBVIRT_NETNS=${1:-}
        if [ -z "$LIBVIRT_HOOKED" ]; then
                CLEANUP_HOOKS+=(stop_libvirtd)
                LEAK_HOOKS+=(libvirt_leak_check)
                LIBVIRT_HOOKED=1
        fi
        LIBVIRT_DIR=$T/libvirt
        local d=$LIBVIRT_DIR
        mkdir -p "$d/etc" "$d/run" "$d/lib" "$d/log" "$d/cache" "$d/drivers"
        chmod 0711 "$d"
        local drv so
        for drv in $LIBVIRT_DRIVERS; do
                so=/usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_$drv.so
                [ -f "$so" ] || so=$(find /usr/lib -path "*/libvirt/connection-driver/libvirt_driver_$drv.so" | head -n 1)
                [ -n "$so" ] && [ -f "$so" ] || fail "libvirt driver '$drv' is not installed"
                ln -sf "$so" "$d/drivers/"
        done
        cat >"$d/etc/libvirtd.conf" <<EOF
# written by libvirt.sh for $TEST_NAME
unix_sock_group = "root"
unix_sock_ro_perms = "0700"
unix_sock_rw_perms = "0700"
auth_unix_ro = "none"
auth_unix_rw = "none"
log_outputs = "${LIBVIRT_LOG_LEVEL:-3}:file:/var/log/libvirt/libvirtd.log"
EOF
        cat >"$d/etc/qemu.conf" <<EOF
# written by libvirt.sh for $TEST_NAME
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
stdio_handler = "file"
namespaces = [ ]
cgroup_controllers = [ ]
EOF
        LIBVIRT_URI="qemu:///system?socket=$d/run/libvirt/libvirt-sock"
        export LIBVIRT_URI LIBVIRT_DEFAULT_URI=$LIBVIRT_URI
        _libvirtd_spawn
}

# _libvirtd_spawn: one more libvirtd (subreaper, mount namespace) on the paths
# start_libvirtd prepared; waits until it answers.
_libvirtd_spawn() {
        local d=$LIBVIRT_DIR pre=() s t0 ns
        [ -z "$LIBVIRT_NETNS" ] || pre=(nsenter "--net=/run/netns/$LIBVIRT_NETNS" --)
        rm -f "$d/libvirtd.pid"
        t0=$(date +%s%N)
        # Inside: detach the copies of the host's /run/netns mounts (they would
        # pin other namespaces), then hide the host's dirs behind ours.
        LIBVIRT_DRIVER_DIR=$d/drivers "${pre[@]}" unshare -m --propagation private -- sh -c '
                set -e
                d=$1
                shift
                umount -l /run/netns 2>/dev/null || true
                mount --bind "$d/etc" /etc/libvirt
                mount --bind "$d/lib" /var/lib/libvirt
                mount --bind "$d/log" /var/log/libvirt
                mount --bind "$d/cache" /var/cache/libvirt
                mount --bind "$d/run" /run
                exec "$@"' sh "$d" \
                "$TOOLS/subreaper" -l -p "$d/libvirtd.pid" -- \
                libvirtd --pid-file=/run/libvirtd.pid --config=/etc/libvirt/libvirtd.conf \
                >>"$d/log/libvirtd.out" 2>&1 &
        s=$!
        LIBVIRT_SUBREAPERS+=("$s")
        for _ in $(seq 100); do
                [ -s "$d/libvirtd.pid" ] && break
                kill -0 "$s" 2>/dev/null || break
                sleep 0.02
        done
        [ -s "$d/libvirtd.pid" ] || fail "libvirtd did not start: $(tail -5 "$d/log/libvirtd.out")"
        LIBVIRTD_PID=$(cat "$d/libvirtd.pid")
        ns=$(readlink "/proc/$s/ns/mnt") || fail "libvirtd wrapper $s vanished: $(tail -5 "$d/log/libvirtd.out")"
        LIBVIRT_MNTNS+=("$ns")
        for _ in $(seq 600); do
                if virsh -c "$LIBVIRT_URI" version >/dev/null 2>&1; then
                        LIBVIRT_READY_MS=$((($(date +%s%N) - t0) / 1000000))
                        return 0
                fi
                kill -0 "$LIBVIRTD_PID" 2>/dev/null ||
                        fail "libvirtd exited at start: $(tail -5 "$d/log/libvirtd.out"; tail -5 "$d/log/libvirtd.log" 2>/dev/null)"
                sleep 0.1
        done
        fail "libvirtd did not answer within 60 s: $(tail -5 "$d/log/libvirtd.log" 2>/dev/null)"
}

# _libvirtd_kill_daemon: SIGTERM libvirtd (SIGKILL after 10 s) and wait until
# it is gone; QEMU guests are not touched.
_libvirtd_kill_daemon() {
        local p=$LIBVIRTD_PID
        [ -n "$p" ] || return 0
        LIBVIRTD_PID=""
        kill -TERM "$p" 2>/dev/null || return 0
        for _ in $(seq 200); do
                kill -0 "$p" 2>/dev/null || return 0
                sleep 0.05
        done
        say "libvirtd $p ignored SIGTERM for 10 s: SIGKILL"
        kill -KILL "$p" 2>/dev/null || true
        for _ in $(seq 100); do
                kill -0 "$p" 2>/dev/null || return 0
                sleep 0.05
        done
}

# _libvirt_ns_pids: every process in one of our mount namespaces but the
# subreapers and libvirtd — the QEMUs (and any helper they run).
_libvirt_ns_pids() {
        local p pid ns want s skip=" ${LIBVIRT_SUBREAPERS[*]} $LIBVIRTD_PID " live=()
        [ ${#LIBVIRT_MNTNS[@]} -gt 0 ] || return 0
        # Only namespaces one of our subreapers still holds: a namespace that
        # died (a restarted libvirtd's) frees its inode number, which the
        # kernel then gives to the next new namespace anyone makes — another
        # test's `ip netns exec` would read as our QEMU.
        for s in "${LIBVIRT_SUBREAPERS[@]}"; do
                ns=$(readlink "/proc/$s/ns/mnt" 2>/dev/null) || continue
                for want in "${LIBVIRT_MNTNS[@]}"; do
                        [ "$ns" = "$want" ] && live+=("$ns")
                done
        done
        [ ${#live[@]} -gt 0 ] || return 0
        for p in /proc/[0-9]*; do
                pid=${p#/proc/}
                case $skip in *" $pid "*) continue ;; esac
                ns=$(readlink "$p/ns/mnt" 2>/dev/null) || continue
                for want in "${live[@]}"; do
                        if [ "$ns" = "$want" ]; then
                                echo "$pid"
                                break
                        fi
                done
        done
        return 0
}

restart_libvirtd() {
        [ -n "$LIBVIRT_DIR" ] || fail "restart_libvirtd: libvirtd was never started"
        _libvirtd_kill_daemon
        _libvirtd_spawn
}

stop_libvirtd() {
        [ ${#LIBVIRT_SUBREAPERS[@]} -gt 0 ] || return 0
        _libvirtd_kill_daemon
        local left s gone
        left=$(_libvirt_ns_pids)
        if [ -n "$left" ]; then
                LIBVIRT_KILLED+="$(ps -o pid=,args= -p "$(echo $left | tr ' ' ,)" 2>/dev/null | cut -c1-160)
"
                leak "QEMU processes still running at stop: $(ps -o pid=,args= -p "$(echo $left | tr ' ' ,)" 2>/dev/null | cut -c1-160 | tr '\n' ';')"
                kill -TERM $left 2>/dev/null || true
                for _ in $(seq 50); do
                        left=$(_libvirt_ns_pids)
                        [ -z "$left" ] && break
                        sleep 0.1
                done
                [ -z "$left" ] || kill -KILL $left 2>/dev/null || true
        fi
        for _ in $(seq 50); do
                left=$(_libvirt_ns_pids)
                [ -z "$left" ] && break
                sleep 0.1
        done
        [ -z "$left" ] || leak "processes of this libvirtd alive after SIGKILL: $left"
        # Each subreaper exits once its last child is gone.
        for s in "${LIBVIRT_SUBREAPERS[@]}"; do
                gone=""
                for _ in $(seq 100); do
                        if ! kill -0 "$s" 2>/dev/null || [[ "$(ps -o stat= -p "$s" 2>/dev/null)" == Z* ]]; then
                                gone=1
                                break
                        fi
                        sleep 0.05
                done
                [ -n "$gone" ] || kill -KILL "$s" 2>/dev/null || true
                wait "$s" 2>/dev/null || true
        done
        LIBVIRT_SUBREAPERS=()
}

# libvirt_leak_check: before stop_libvirtd, on the running libvirtd: no domain
# defined or running (a listing that fails is a leak, never "none"); and
# the definitions and status files in the private dirs, which libvirtd
# leaves behind should it be down.
libvirt_leak_check() {
        [ -n "$LIBVIRT_DIR" ] || return 0
        local f left="" names
        if [ -n "$LIBVIRTD_PID" ] && kill -0 "$LIBVIRTD_PID" 2>/dev/null; then
                if names=$(vvirsh list --all --name); then
                        names=$(sed '/^$/d' <<<"$names" | tr '\n' ' ')
                        [ -z "$names" ] || leak "libvirt domains left: $names"
                else
                        leak "cannot list libvirt's domains"
                fi
        fi
        # Persistent definitions (/etc/libvirt/qemu) and live status files
        # (/run/libvirt/qemu) outlive libvirtd: read them from the private dirs.
        for f in "$LIBVIRT_DIR"/etc/qemu/*.xml; do
                [ ! -e "$f" ] || left+=" defined:$(basename "$f" .xml)"
        done
        for f in "$LIBVIRT_DIR"/run/libvirt/qemu/*.xml; do
                [ ! -e "$f" ] || left+=" running:$(basename "$f" .xml)"
        done
        [ -z "$left" ] || leak "libvirt domain files left:$left"
        [ -z "$LIBVIRT_KILLED" ] || leak "QEMU processes were still running at stop: $LIBVIRT_KILLED"
        return 0
}
