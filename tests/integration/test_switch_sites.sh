#!/bin/bash
# Two sites, one switch each (OVS bridges sw and sw2, joined by their
# uplinks): a shared-mode job gets its VLAN on both switches and on both
# uplinks, and its hosts at the two sites talk; a failure on the second
# switch rolls back the first; `check` reports a VLAN a job holds that the
# switch lost, a port missing or extra, and a VLAN no job holds.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ovs.sh"
. "$(dirname "$0")/switch_proof.sh"
vc_setup
start_munged
start_ovs
ovs_bridge sw
ovs_bridge sw2
ovs_host h1 10.77.0.1 sw p1
ovs_host h2 10.77.0.2 sw p2
ovs_host h3 10.77.0.3 sw2 q1
ovs_host h4 10.77.0.4 sw2 q2
vsctl -- add-port sw up-a -- set interface up-a type=patch options:peer=up-b \
        -- add-port sw2 up-b -- set interface up-b type=patch options:peer=up-a
for p in p1 p2 q1 q2 up-a up-b; do vsctl set port $p trunks=4095; done
A="Driver=ovs Db=$OVS_DB Bridge=sw NodePorts=a[001-002]:p[1-2] Uplinks=up-a NodePortMode=access"
B="Driver=ovs Db=$OVS_DB Bridge=sw2 NodePorts=b[001-002]:q[1-2] Uplinks=up-b NodePortMode=access"
VLANS_A=100-109 VLANS_B=100-109 REAP_INTERVAL=1
SWITCH_A="SwitchName=swa Site=a $A" SWITCH_B="SwitchName=swb Site=b $B" write_conf
start_daemon
swread() { "$TOOLS/swctl" ovs "Db=$OVS_DB,Bridge=$1" read "$2"; }
swlist() { "$TOOLS/swctl" ovs "Db=$OVS_DB,Bridge=$1" list; }

va acquire 1001 --nodes a001,b001 >/dev/null || fail "acquire 1001: $(tail -3 "$T/daemon.log")"
[ "$(va show 1001 --json | jq -r '.mode, ([.sites[].vlan] | unique | length)' | paste -sd' ')" = "shared 1" ] ||
        fail "expected one shared VLAN: $(va show 1001)"
v=$(vlan_of 1001)
[ "$(swread sw "$v" | jq -c '[.untagged, .tagged]')" = '[["p1"],["up-a"]]' ] || fail "swa: $(swread sw "$v")"
[ "$(swread sw2 "$v" | jq -c '[.untagged, .tagged]')" = '[["q1"],["up-b"]]' ] || fail "swb: $(swread sw2 "$v")"
expect_ping h1 10.77.0.3 "across sites, same job"
expect_no_ping h2 10.77.0.4 "nodes of no job"
say "shared mode: VLAN $v on both switches and both uplinks; a001 and b001 talk across sites"

say "a failure on the second switch rolls back the first"
mark=$(wc -l <"$T/daemon.log")
SWITCH_A="SwitchName=swa Site=a $A" SWITCH_B="SwitchName=swb Site=b ${B/q\[1-2\]/q1,q9}" write_conf
kill -HUP "$DAEMON_PID"
wait_log reloaded "$mark"
expect_exit 4 va acquire 1002 --nodes a002,b002
expect_in "switch 'swb'" "$ERR"
expect_in "q9" "$ERR"
[ "$(swlist sw)" = "[$v]" ] || fail "swa still holds job 1002's VLAN: $(swlist sw)"
[ "$(vsctl get port p2 tag trunks | paste -sd' ')" = "[] [4095]" ] || fail "p2 not restored"
[ "$(vsctl get port up-a trunks)" = "[$v]" ] || fail "uplink: $(vsctl get port up-a trunks)"
expect_ping h1 10.77.0.3 "job 1001 untouched"
mark=$(wc -l <"$T/daemon.log")
SWITCH_A="SwitchName=swa Site=a $A" SWITCH_B="SwitchName=swb Site=b $B" write_conf
kill -HUP "$DAEMON_PID"
wait_log reloaded "$mark"
for _ in $(seq 50); do va check >/dev/null 2>&1 && break; sleep 0.1; done
va check >/dev/null || fail "after the failed acquire: $(va check)"

say "check reports what the switches say against what jobs hold"
sw() { "$TOOLS/swctl" --owner 999 ovs "Db=$OVS_DB,Bridge=$1" "${@:2}"; }
# drift TEXT: check exits 5 (drift) and says TEXT (stdout and stderr alike)
drift() {
        local rc=0 out
        out=$(va check 2>&1) || rc=$?
        [ "$rc" = 5 ] || fail "check exited $rc, expected 5 (drift '$1'): $out"
        expect_in "$1" "$out"
}
sw sw remove "$v" p1
drift "switch swa: job 1001: VLAN $v: port p1 is not an untagged member"
sw sw add "$v" untagged p1 -- add "$v" untagged p2
drift "switch swa: job 1001: VLAN $v: port p2 carries it untagged, but no job asked for that"
sw sw remove "$v" p2
sw sw2 delete "$v"
drift "switch swb: job 1001: VLAN $v is missing"
# the repair is made as job 1001 (its owner), as the switch had it: the
# release must then leave no mark of any owner (pass's leak check looks)
"$TOOLS/swctl" --owner 1001 ovs "Db=$OVS_DB,Bridge=sw2" create "$v" restore -- add "$v" untagged q1 -- add "$v" tagged up-b
sw sw2 create 107 stray -- add 107 untagged q2
drift "switch swb: VLAN 107 exists but no job of site b holds it"
sw sw2 remove 107 q2 -- delete 107
va check >/dev/null || fail "check after repairs: $(va check)"
say "check: a lost VLAN, a missing port, an extra port and a stray VLAN are each reported"

va release 1001 >/dev/null
[ "$(swlist sw)$(swlist sw2)" = "[][]" ] || fail "switches still hold: $(swlist sw) $(swlist sw2)"
for p in p1 p2 q1 q2 up-a up-b; do
        [ "$(vsctl get port $p tag trunks | paste -sd' ')" = "[] [4095]" ] || fail "$p: $(vsctl get port $p tag trunks)"
done
expect_no_ping h1 10.77.0.3 "after release"
pass
