# ovs.sh — a real Open vSwitch (userspace datapath) for tests, sourced after
# lib.sh. The switch lives in its own network namespace, like a box of its
# own: its ovs-netdev tap and every switch-side veth end vanish with the
# namespace, and two test runs on one machine never share a device name.
#
#   start_ovs                 ovsdb-server + ovs-vswitchd, private paths;
#                             sets OVS_RUNDIR, OVS_DB (unix:…), OVS_NS
#   ovs_bridge NAME           a netdev bridge
#   ovs_host NAME IP BR PORT  a "host": netns ${NS_PREFIX}NAME with eth0=IP/24
#                             cabled to port PORT of bridge BR (no VLAN set)
#   host_ping NAME IP         0 if NAME reaches IP (1 packet, 1 s)
#   vsctl ARGS…               ovs-vsctl against this switch
#   stop_ovs                  stop exactly what start_ovs started
#   ovs_leak_check            (a LEAK_HOOK, on the running switch) no port
#                             the product makes (named vc…, or marked
#                             external_ids:vcluster-job) on any bridge, no
#                             vc… link in $OVS_NS, no process in a host's
#                             namespace; a listing that fails is a leak too
# stop_ovs records (leak) a namespace of this run it could not remove.
OVS_PIDS=()
OVS_NS=""
NS_PREFIX=""
OVS_HOSTS=()

vsctl() { ovs-vsctl --db="$OVS_DB" --timeout=10 "$@"; }

start_ovs() {
        CLEANUP_HOOKS+=(stop_ovs)
        LEAK_HOOKS+=(ovs_leak_check)
        NS_PREFIX="vc$$"
        OVS_NS="${NS_PREFIX}sw"
        export OVS_RUNDIR=$T/ovs/run OVS_LOGDIR=$T/ovs OVS_DBDIR=$T/ovs OVS_SYSCONFDIR=$T/ovs
        OVS_DB="unix:$OVS_RUNDIR/db.sock"
        mkdir -p "$OVS_RUNDIR"
        ip netns add "$OVS_NS"
        ip -n "$OVS_NS" link set lo up
        ovsdb-tool create "$T/ovs/conf.db" /usr/share/openvswitch/vswitch.ovsschema
        ovsdb-server "$T/ovs/conf.db" --remote="punix:$OVS_RUNDIR/db.sock" \
                --pidfile="$OVS_RUNDIR/ovsdb-server.pid" --log-file="$T/ovs/ovsdb-server.log" \
                --unixctl="$OVS_RUNDIR/ovsdb-server.ctl" >/dev/null 2>&1 &
        OVS_PIDS+=($!)
        for _ in $(seq 100); do [ -S "$OVS_RUNDIR/db.sock" ] && break; sleep 0.05; done
        vsctl --no-wait init
        # Without TSO, TCP through veth stalls on the userspace datapath.
        vsctl --no-wait set Open_vSwitch . other_config:userspace-tso-enable=true
        nsenter --net="/run/netns/$OVS_NS" ovs-vswitchd "$OVS_DB" \
                --pidfile="$OVS_RUNDIR/ovs-vswitchd.pid" --log-file="$T/ovs/ovs-vswitchd.log" \
                --unixctl="$OVS_RUNDIR/ovs-vswitchd.ctl" >/dev/null 2>&1 &
        OVS_PIDS+=($!)
        for _ in $(seq 100); do [ -S "$OVS_RUNDIR/ovs-vswitchd.ctl" ] && return 0; sleep 0.05; done
        fail "ovs-vswitchd did not start: $(tail -5 "$T/ovs/ovs-vswitchd.log")"
}

ovs_bridge() { vsctl add-br "$1" -- set bridge "$1" datapath_type=netdev; }

ovs_host() {
        local name=$1 ip=$2 br=$3 port=$4 ns=${NS_PREFIX}$1
        ip netns add "$ns"
        OVS_HOSTS+=("$ns")
        ip link add "$port" netns "$OVS_NS" type veth peer name eth0 netns "$ns"
        ip -n "$OVS_NS" link set "$port" up
        ip -n "$ns" link set lo up
        ip -n "$ns" addr add "$ip/24" dev eth0
        ip -n "$ns" link set eth0 up
        vsctl add-port "$br" "$port"
}

host_ping() { ip netns exec "${NS_PREFIX}$1" ping -c1 -W1 -q "$2" >/dev/null 2>&1; }

stop_ovs() {
        local p ns
        [ -n "$OVS_NS" ] || return 0
        for p in "${OVS_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
        for p in "${OVS_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
        OVS_PIDS=()
        for ns in "${OVS_HOSTS[@]}" "$OVS_NS"; do
                # (the harness's own, an origin, are stopped by their module)
                p=$(vc_foreign_pids "$ns" 2>/dev/null || true)
                if [ -n "$p" ]; then
                        leak "processes still in $ns at stop: $(tr '\n' ';' <<<"$p")"
                        kill -KILL $(awk '{print $1}' <<<"$p") 2>/dev/null || true
                fi
                ip netns del "$ns" 2>/dev/null || true
                [ ! -e "/run/netns/$ns" ] || leak "network namespace $ns could not be removed"
        done
        OVS_HOSTS=()
        OVS_NS=""
}

# ovs_leak_check: on the running switch, before stop_ovs removes it all.
ovs_leak_check() {
        [ -n "$OVS_NS" ] || return 0
        local ports links ns p
        if ports=$(vsctl -f json --columns=name,external_ids list port); then
                p=$(jq -r '.data[] | select((.[0] | test("^vc")) or
                        ([.[1][1][][0]] | index("vcluster-job") != null)) | .[0]' <<<"$ports" | tr '\n' ' ') ||
                        p="(cannot parse the port list: $ports)"
                [ -z "$p" ] || leak "OVS ports of the product left: $p"
        else
                leak "cannot list the OVS ports (is ovsdb-server down?)"
        fi
        if links=$(ip -n "$OVS_NS" -o link show); then
                p=$(awk -F': ' '{print $2}' <<<"$links" | sed 's/@.*//' | grep '^vc' | tr '\n' ' ' || true)
                [ -z "$p" ] || leak "links of the product left in $OVS_NS: $p"
        else
                leak "cannot list the links in $OVS_NS"
        fi
        for ns in "${OVS_HOSTS[@]}"; do
                p=$(vc_foreign_pids "$ns") || { leak "cannot list the processes in $ns"; continue; }
                [ -z "$p" ] || leak "processes left in $ns: $(tr '\n' ';' <<<"$p")"
        done
        return 0
}

# ovsdb_kill: SIGKILL ovsdb-server (a crash mid-transaction); ovsdb_restart
# starts it again on the same database and socket (vswitchd reconnects).
ovsdb_kill() {
        kill -KILL "${OVS_PIDS[0]}"
        wait "${OVS_PIDS[0]}" 2>/dev/null || true
        rm -f "$OVS_RUNDIR/db.sock"
}
ovsdb_restart() {
        ovsdb-server "$T/ovs/conf.db" --remote="punix:$OVS_RUNDIR/db.sock" \
                --pidfile="$OVS_RUNDIR/ovsdb-server.pid" --log-file="$T/ovs/ovsdb-server.log" \
                --unixctl="$OVS_RUNDIR/ovsdb-server.ctl" >/dev/null 2>&1 &
        OVS_PIDS[0]=$!
        for _ in $(seq 100); do [ -S "$OVS_RUNDIR/db.sock" ] && return 0; sleep 0.05; done
        fail "ovsdb-server did not restart"
}
