#!/bin/bash
# Switch failures during acquire: an unreachable switch (ovs, snmp), wrong
# SNMP credentials, a SET the switch refuses, a read-back that does not match,
# a site script that fails or hangs, ovsdb-server killed mid-transaction.
# Each makes acquire fail with a message naming the switch and the cause,
# rolls back the switch already configured for the job (swa, by the ovs
# driver), and leaves the other job's VLAN working.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ovs.sh"
. "$(dirname "$0")/snmp.sh"
. "$(dirname "$0")/switch_proof.sh"
vc_setup
start_munged
switch_hosts
ovs_host h5 10.77.0.5 sw p5
vsctl -- set port p1 trunks=4095 -- set port p2 trunks=4095 -- set port p3 trunks=4095 \
        -- set port p4 trunks=4095 -- set port p5 trunks=4095
QB_FAULTS=$T/qb.faults
start_snmpd
start_qbridge sw 5=p5
mkdir -p "$T/exec-state"
cat >"$T/switch-cli" <<EOS
#!/bin/sh
OVS_DB='$OVS_DB' EXEC_STATE='$T/exec-state' EXEC_FAULT='$T/exec.fault' exec '$ROOT/tests/integration/exec_switch.sh' "\$@"
EOS
chmod 0755 "$T/switch-cli"
printf 'Community=not-the-community\n' >"$T/wrong.secret"
chmod 0600 "$T/wrong.secret"

SW_DRIVER=ovs SW_OPTS="Db=$OVS_DB,Bridge=sw" SW_SECRET="" SW_PORT_NAMES="p1 p2 p3 p4"
GOOD=$(switch_line swa 'a[001-004]' 'p[1-4]')
VLANS_A=100-109 REAP_INTERVAL=1
SNMP="Driver=snmp Host=127.0.0.1 Port=$SNMP_PORT Timeout=1 Retries=0"

reload_with() {
        local mark
        mark=$(wc -l <"$T/daemon.log")
        SWITCH_A=$GOOD write_conf "$@"
        kill -HUP "$DAEMON_PID"
        wait_log "reloaded" "$mark"
}

# bad_community: snmpd's count of requests refused for their community
# (snmpInBadCommunityNames), read with the right one.
bad_community() { snmp_v2c snmpget -Oqv 1.3.6.1.2.1.11.4.0; }

# fault_case WHAT BAD_SWITCH_LINE EXPECTED_PHRASE [ARM_CMD [VERIFY_CMD]]: job
# 1001 holds a VLAN on swa; BAD_SWITCH_LINE is added (reload); ARM_CMD arms
# the fault; job 1002 (a003, a004 on swa, a005 on the bad switch) must fail;
# VERIFY_CMD then proves the fault was the one meant.
fault_case() {
        local what=$1 bad=$2 phrase=$3 arm=${4:-true} verify=${5:-true}
        say "$what"
        reload_with
        va acquire 1001 --nodes 'a[001-002]' >/dev/null || fail "acquire 1001: $(tail -3 "$T/daemon.log")"
        local v1
        v1=$(vlan_of 1001)
        reload_with "$bad"
        eval "$arm"
        expect_exit 4 va acquire 1002 --nodes 'a[003-005]'
        expect_in "swa2" "$ERR"
        expect_in "$phrase" "$ERR"
        say "  acquire failed: $(echo "$ERR" | head -1)"
        eval "$verify"
        rm -f "$QB_FAULTS" "$T/exec.fault"
        # a rollback the switch refused too is retried by the reaper (ReapInterval=1)
        # (and then ends "released")
        local st
        for _ in $(seq 50); do
                st=$(va show 1002 --json | jq -r .state)
                [ "$st" = failed ] || [ "$st" = released ] && break
                sleep 0.1
        done
        [ "$st" = failed ] || [ "$st" = released ] || fail "job 1002 is $(va show 1002)"
        # swa was configured for 1002 (or was about to be): nothing of it is left
        [ "$("$TOOLS/swctl" ovs "$SW_OPTS" list)" = "[$v1]" ] ||
                fail "swa holds $("$TOOLS/swctl" ovs "$SW_OPTS" list), expected only [$v1]"
        [ "$(vsctl get port p3 tag trunks external_ids | tr '\n' ' ')" = "[] [4095] {} " ] ||
                fail "p3 not restored: $(vsctl get port p3 tag trunks external_ids)"
        expect_no_ping h3 10.77.0.4 "after the failed acquire"
        expect_ping h1 10.77.0.2 "job 1001 untouched by the failure"
        reload_with
        va release 1001 >/dev/null
        va check >/dev/null || fail "check after $what: $(va check)"
}

SWITCH_A=$GOOD write_conf
start_daemon
fault_case "ovs: ovsdb unreachable" \
        "SwitchName=swa2 Site=a Driver=ovs Db=unix:$T/nowhere.sock Bridge=sw NodePorts=a005:p5" "nowhere.sock"
# SNMPv2c has no answer for a wrong community: the agent drops the request,
# so the message is the same as with no agent at all; what tells the two
# cases apart is the agent's own count of refused communities, and that
# nothing listens at the address of the first.
NOAGENT=$(free_udp_port)
fault_case "snmp: no agent at the address" \
        "SwitchName=swa2 Site=a Driver=snmp Host=127.0.0.1 Port=$NOAGENT Timeout=1 Retries=0 SecretFile=$T/snmp/v2c.secret NodePorts=a005:5 NodePortMode=access" \
        "switch 'swa2' (snmp udp:127.0.0.1:$NOAGENT): no answer to GET of the VLAN table (switch unreachable, or the credentials are wrong)" \
        'BAD0=$(bad_community)' \
        '[ -z "$(ss -Hlun "sport = :$NOAGENT")" ] || fail "something listens on $NOAGENT";
         [ "$(bad_community)" = "$BAD0" ] || fail "the agent saw a bad community: $BAD0 -> $(bad_community)"'
fault_case "snmp: wrong community" \
        "SwitchName=swa2 Site=a $SNMP SecretFile=$T/wrong.secret NodePorts=a005:5 NodePortMode=access" \
        "switch 'swa2' (snmp udp:127.0.0.1:$SNMP_PORT): no answer to GET of the VLAN table (switch unreachable, or the credentials are wrong)" \
        'BAD0=$(bad_community)' \
        'BAD1=$(bad_community); [ "$BAD1" -gt "$BAD0" ] || fail "the agent refused no community ($BAD0 -> $BAD1): not the wrong-community case"'
fault_case "snmp: the switch refuses the SET" \
        "SwitchName=swa2 Site=a $SNMP SecretFile=$T/snmp/v2c.secret NodePorts=a005:5 NodePortMode=access" \
        "SET refused at 1.3.6.1.2.1.17.7.1.4.3.1.5." "echo refuse-create >'$QB_FAULTS'"
fault_case "snmp: read-back does not match" \
        "SwitchName=swa2 Site=a $SNMP SecretFile=$T/snmp/v3.secret Version=3 NodePorts=a005:5 NodePortMode=access" \
        "read-back after configuring: VLAN" "echo ignore-egress >'$QB_FAULTS'"
fault_case "exec: the script exits 1" \
        "SwitchName=swa2 Site=a Driver=exec Program=$T/switch-cli Timeout=5 NodePorts=a005:p5 NodePortMode=access" \
        "exited 1: switch CLI: % Command rejected" "echo fail >'$T/exec.fault'"
fault_case "exec: the script hangs past its Timeout" \
        "SwitchName=swa2 Site=a Driver=exec Program=$T/switch-cli Timeout=1 NodePorts=a005:p5 NodePortMode=access" \
        "did not finish within 1 s" "echo hang >'$T/exec.fault'"

say "ovs: ovsdb-server killed mid-transaction"
reload_with
va acquire 1001 --nodes 'a[001-002]' >/dev/null
kill -STOP "${OVS_PIDS[0]}"
va acquire 1002 --nodes 'a[003-004]' >"$T/acq.out" 2>&1 &
acq=$!
sleep 1
ovsdb_kill
rc=0
wait $acq || rc=$?
[ $rc = 4 ] || fail "acquire with ovsdb-server killed exited $rc, expected 4: $(cat "$T/acq.out")"
expect_in "switch 'swa'" "$(cat "$T/acq.out")"
expect_in "ovsdb $OVS_DB: closed the connection before answering" "$(cat "$T/acq.out")"
say "  acquire failed: $(head -1 "$T/acq.out")"
ovsdb_restart
# the rollback could not reach the switch either; the reaper retries it
for _ in $(seq 100); do
        case $(va show 1002 --json | jq -r .state) in failed | released) va check >/dev/null 2>&1 && break ;; esac
        sleep 0.1
done
va check >/dev/null || fail "not rolled back after ovsdb-server came back: $(va check; va show 1002)"
[ "$("$TOOLS/swctl" ovs "$SW_OPTS" list)" = "[$(vlan_of 1001)]" ] || fail "swa holds $("$TOOLS/swctl" ovs "$SW_OPTS" list)"
expect_ping h1 10.77.0.2 "job 1001 survives an ovsdb-server crash"
expect_no_ping h3 10.77.0.4 "job 1002 rolled back"
va release 1001 >/dev/null
pass
