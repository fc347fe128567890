#!/bin/bash
# The ovs switch driver against a real ovsdb-server + ovs-vswitchd (userspace
# datapath), driven through swctl: isolation proven by ping right after each
# commit (commit waits for ovs-vswitchd), read-back, our marks on the ports,
# the all-VLANs gotcha, exact restoration of the admin's trunks, idempotence,
# undo of a port that does not exist, concurrent commits, refusals that change
# nothing, and clear errors (not hangs) when ovs-vswitchd is stopped or the
# database is unreachable, stopped or killed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ovs.sh"
vc_setup
start_ovs
ovs_bridge br0
for i in 1 2 3 4 5 6; do ovs_host h$i 10.9.0.$i br0 p$i; done
# Uplink-like ports without hosts: switch-side veth pairs.
for u in up1 up2; do
        ip -n "$OVS_NS" link add $u type veth peer name ${u}x
        vsctl add-port br0 $u
done
vsctl set port up1 trunks=10

OPTS="Db=$OVS_DB,Bridge=br0,Timeout=3"
sw() { "$TOOLS/swctl" --name sw0 "$@"; }
job() { local j=$1; shift; sw --owner "$j" ovs "$OPTS" "$@"; }

# can NAME IP / cannot NAME IP: ping proves it. No waiting for the
# configuration first: a commit returns only once ovs-vswitchd has applied it
# (cur_cfg). But flows it had cached in the datapath before are revalidated
# right after, asynchronously: a packet sent within those few ms may still
# take an old path (~3 in 100 here). So cannot waits for one revalidation
# cycle — isolation is what it proves, not that race.
flows_settled() { ovs-appctl -t "$OVS_RUNDIR/ovs-vswitchd.ctl" --timeout=10 revalidator/wait >/dev/null; }
can() { host_ping "$1" "$2" || host_ping "$1" "$2" || fail "$1 cannot reach $2"; }
cannot() { flows_settled; ! host_ping "$1" "$2" || fail "$1 reaches $2 but must not"; }
port_is() { # PORT COLUMN WANT
        local got
        got=$(vsctl get port "$1" "$2")
        [ "$got" = "$3" ] || fail "port $1 $2: '$got', expected '$3'"
}
# snapshot: every port's VLAN columns and the bridge's keys, to prove "nothing changed".
snapshot() {
        vsctl --columns=name,tag,trunks,vlan_mode,external_ids list port | sort
        vsctl get bridge br0 external_ids
}

say "before: no tags, every port carries every VLAN"
can h1 10.9.0.3

say "job 1001: VLAN 101 on p1,p2; job 1002: VLAN 102 on p3,p4 (untagged)"
job 1001 create 101 job-1001 -- add 101 untagged p1 p2 >/dev/null || fail "create 101"
job 1002 create 102 job-1002 -- add 102 untagged p3 p4 >/dev/null || fail "create 102"
can h1 10.9.0.2
can h3 10.9.0.4
cannot h1 10.9.0.3
cannot h2 10.9.0.4

say "read back, list"
got=$(sw ovs "$OPTS" read 101)
[ "$got" = '{"exists":true,"name":"job-1001","tagged":[],"untagged":["p1","p2"]}' ] || fail "read 101: $got"
got=$(sw ovs "$OPTS" read 102)
[ "$(jq -c .untagged <<<"$got")" = '["p3","p4"]' ] || fail "read 102: $got"
got=$(sw ovs "$OPTS" read 999)
[ "$got" = '{"exists":false,"name":null,"tagged":[],"untagged":[]}' ] || fail "read 999: $got"
[ "$(sw ovs "$OPTS" list)" = "[101,102]" ] || fail "list: $(sw ovs "$OPTS" list)"

say "our marks: the bridge names the VLAN, each port its job and previous tag"
[ "$(vsctl get bridge br0 external_ids:vcluster-vlan-101)" = job-1001 ] || fail "bridge key"
port_is p1 tag 101
port_is p1 external_ids '{vcluster-job="1001", vcluster-prev-tag=none, vcluster-vlan-101="1001"}'
port_is p3 external_ids '{vcluster-job="1002", vcluster-prev-tag=none, vcluster-vlan-102="1002"}'

say "an uplink carries both jobs; the admin's trunks=[10] come back exactly"
vsctl set port up2 trunks=10,101 # the admin's trunk already had 101
job 1001 add 101 tagged up1 up2 >/dev/null || fail "uplink 101"
job 1002 add 102 tagged up1 up2 >/dev/null || fail "uplink 102"
port_is up1 trunks "[10, 101, 102]"
port_is up1 external_ids:vcluster-job '"1001,1002"'
port_is up2 trunks "[10, 101, 102]"
got=$(sw ovs "$OPTS" read 101)
[ "$(jq -c .tagged <<<"$got")" = '["up1","up2"]' ] || fail "read 101 tagged: $got"
job 1001 remove 101 up1 up2 >/dev/null || fail "remove 101 from uplinks"
port_is up1 trunks "[10, 102]"
port_is up1 external_ids '{vcluster-job="1002", vcluster-vlan-102="1002"}'
port_is up2 trunks "[10, 101, 102]" # 101 was the admin's before us: kept
job 1002 remove 102 up1 up2 >/dev/null || fail "remove 102 from uplinks"
port_is up1 trunks "[10]"
port_is up1 external_ids "{}"
port_is up2 trunks "[10, 101]"
port_is up2 external_ids "{}"

say "the all-VLANs gotcha: a port with no tag and no trunks ends up carrying nothing"
can h5 10.9.0.6 # both plain: untagged traffic (VLAN 0) flows
job 1003 create 103 job-1003 -- add 103 tagged p5 >/dev/null || fail "tag p5"
port_is p5 trunks "[103]"
cannot h5 10.9.0.6 # p5 now carries VLAN 103 only, no longer VLAN 0
job 1003 remove 103 p5 -- delete 103 >/dev/null || fail "untag p5"
port_is p5 trunks "[4095]"
port_is p5 tag "[]"
port_is p5 external_ids "{}"
cannot h5 10.9.0.6 # with trunks=[] it would carry every VLAN again
host_ping h6 10.9.0.5 && fail "p5 still carries VLAN 0"

say "idempotent: adding what is there, removing what is not, deleting a missing VLAN"
before=$(snapshot)
job 1001 create 101 job-1001 -- add 101 untagged p1 p2 >/dev/null || fail "re-add"
[ "$(snapshot)" = "$before" ] || fail "re-adding changed the switch"
job 1001 remove 101 up1 p6 -- delete 555 >/dev/null || fail "removing what is not there failed"
[ "$(snapshot)" = "$before" ] || fail "removing nothing changed the switch"

say "refusals change nothing: a missing port, a port already in another job's VLAN"
expect_exit 1 job 1001 add 101 untagged p6 nosuch -- create 104 x
expect_in "switch 'sw0': port 'nosuch' is not on bridge 'br0'" "$ERR"
expect_exit 1 job 1002 add 102 untagged p1
expect_in "port 'p1' already carries VLAN 101 (job 1001)" "$ERR"
expect_exit 1 job 1002 add 102 tagged p2
expect_in "port 'p2' is the untagged port of VLAN 101" "$ERR"
[ "$(snapshot)" = "$before" ] || fail "a refused commit changed the switch"

say "undo names a port that does not exist: already gone, the real one is restored"
# The undo of a step refused for naming a missing port removes the same
# ports: it must succeed, or the job stays "releasing" forever.
job 1004 create 104 job-1004 -- add 104 tagged up2 >/dev/null || fail "create 104"
port_is up2 trunks "[10, 101, 104]"
expect_exit 0 job 1004 remove 104 nosuch up2 -- delete 104
port_is up2 trunks "[10, 101]"
port_is up2 external_ids "{}"
[ "$(sw ovs "$OPTS" read 104 | jq -c .exists)" = false ] || fail "VLAN 104 left: $(sw ovs "$OPTS" read 104)"
expect_exit 0 job 1004 remove 104 nosuch up2 -- delete 104 # and again: nothing left to do
[ "$(snapshot)" = "$before" ] || fail "the undo left the switch changed"

say "bad options and usage"
expect_exit 1 sw ovs "Db=$OVS_DB" list
expect_in "needs Bridge=NAME" "$ERR"
expect_exit 1 sw ovs "Db=$OVS_DB,Bridge=nobr" list
expect_in "bridge 'nobr' does not exist" "$ERR"
expect_exit 1 sw ovs "$OPTS,Timeout=soon" list
expect_in "Timeout=soon is not a duration" "$ERR"
expect_exit 1 sw ovs "$OPTS" add 101 untagged p6
expect_in "no owner" "$ERR"
expect_exit 2 sw ovs "$OPTS" add 101 sideways p6
expect_exit 2 sw ovs "$OPTS" read 5000
expect_exit 2 sw nosuchdriver "$OPTS" list

say "concurrent commits on one uplink: the wait+retry loses nothing"
pids=()
for i in 1 2 3 4 5 6 7 8; do
        job 20$i add 20$i tagged up1 p6 >/dev/null 2>"$T/conc.$i" &
        pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "a concurrent commit failed: $(cat "$T"/conc.*)"; done
port_is up1 trunks "[10, 201, 202, 203, 204, 205, 206, 207, 208]"
jobs=$(vsctl get port up1 external_ids:vcluster-job | tr -d '"' | tr , '\n' | sort | paste -sd,)
[ "$jobs" = 201,202,203,204,205,206,207,208 ] || fail "uplink jobs: $jobs"
for i in 1 2 3 4 5 6 7 8; do job 20$i remove 20$i up1 p6 >/dev/null || fail "remove 20$i"; done
port_is up1 trunks "[10]"
port_is p6 trunks "[4095]"

say "teardown: nothing of the jobs remains on the switch"
job 1001 remove 101 p1 p2 -- delete 101 >/dev/null || fail "teardown 1001"
job 1002 remove 102 p3 p4 -- delete 102 >/dev/null || fail "teardown 1002"
[ "$(sw ovs "$OPTS" list)" = "[]" ] || fail "VLANs left: $(sw ovs "$OPTS" list)"
left=$(vsctl --columns=name,external_ids list port | grep -c vcluster || true)
[ "$left" = 0 ] || fail "vcluster marks left on ports: $(vsctl --columns=name,external_ids list port)"
vsctl get bridge br0 external_ids | grep -q vcluster && fail "vcluster marks left on the bridge"
port_is p1 tag "[]"
port_is p1 trunks "[4095]"
cannot h1 10.9.0.2 # p1 and p2 carry nothing now, not everything

say "ovs-vswitchd stopped: the database takes the change, commit waits at most Timeout"
VSD_PID=$(cat "$OVS_RUNDIR/ovs-vswitchd.pid")
# should the test fail while it is stopped: resumed before stop_ovs, or SIGTERM would never land
vsd_cont() { kill -CONT "$VSD_PID" 2>/dev/null || true; }
CLEANUP_HOOKS+=(vsd_cont)
kill -STOP "$VSD_PID"
t0=$(date +%s%N)
expect_exit 1 job 1006 create 106 job-1006 -- add 106 untagged p5 p6
ms=$((($(date +%s%N) - t0) / 1000000))
expect_in "switch 'sw0': ovs-vswitchd did not apply the change within 3 s (is it running?)" "$ERR"
[ "$ms" -ge 2900 ] && [ "$ms" -lt 5000 ] || fail "a 3 s wait for ovs-vswitchd took $ms ms"
port_is p5 tag 106 # in the database all along
# A retry finds nothing to write, yet still waits: the datapath is not there yet.
expect_exit 1 sw --owner 1006 ovs "Db=$OVS_DB,Bridge=br0,Timeout=1" create 106 job-1006 -- add 106 untagged p5 p6
expect_in "ovs-vswitchd did not apply the change within 1 s" "$ERR"
kill -CONT "$VSD_PID"
job 1006 create 106 job-1006 -- add 106 untagged p5 p6 >/dev/null || fail "retry after ovs-vswitchd resumed"
can h5 10.9.0.6
job 1006 remove 106 p5 p6 -- delete 106 >/dev/null || fail "teardown 1006"
cannot h5 10.9.0.6

say "unreachable database: a clear message"
expect_exit 1 sw ovs "Db=unix:$T/nope.sock,Bridge=br0" list
expect_in "switch 'sw0': ovsdb unix:$T/nope.sock: no such file or directory" "$ERR"
expect_exit 1 sw ovs "Db=tcp:127.0.0.1:$(free_port),Bridge=br0" list
expect_in "connection refused" "$ERR"

say "ovsdb-server stopped: the Timeout ends the wait; killed meanwhile: closed"
DB_PID=$(cat "$OVS_RUNDIR/ovsdb-server.pid")
kill -STOP "$DB_PID"
t0=$(date +%s%N)
expect_exit 1 sw --owner 1005 ovs "Db=$OVS_DB,Bridge=br0,Timeout=1" create 105 x
ms=$((($(date +%s%N) - t0) / 1000000))
expect_in "ovsdb $OVS_DB: no answer within 1 s" "$ERR"
[ "$ms" -lt 3000 ] || fail "a 1 s timeout took $ms ms"
t0=$(date +%s%N)
sw --owner 1005 ovs "Db=$OVS_DB,Bridge=br0,Timeout=5" create 105 x -- add 105 untagged p1 2>"$T/killed.err" &
bg=$!
sleep 1
{ kill -KILL "$DB_PID"; wait "$DB_PID"; } 2>/dev/null || true # no "Killed" notice from bash
rc=0
wait "$bg" || rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$rc" = 1 ] || fail "commit against a killed ovsdb-server exited $rc: $(cat "$T/killed.err")"
expect_in "ovsdb $OVS_DB: closed the connection before answering" "$(cat "$T/killed.err")"
[ "$ms" -lt 4000 ] || fail "the commit noticed the kill only after $ms ms"
# back up, so that pass's leak check can list the ports (a listing that fails is a leak)
rm -f "$OVS_RUNDIR/db.sock"
ovsdb_restart
pass
