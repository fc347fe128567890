#!/bin/bash
# The snmp driver configures a Q-BRIDGE-MIB switch (real snmpd + our AgentX
# switch fixture, which applies its VLAN table to OVS ports) over SNMPv2c
# and over SNMPv3 authPriv: two jobs isolated by packets each time.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ovs.sh"
. "$(dirname "$0")/snmp.sh"
. "$(dirname "$0")/switch_proof.sh"
vc_setup
start_munged
switch_hosts
start_snmpd
start_qbridge sw 1=p1 2=p2 3=p3 4=p4
SW_DRIVER=snmp SW_PORTS='[1-4]' SW_PORT_NAMES="1 2 3 4"

SW_OPTS="Host=127.0.0.1,Port=$SNMP_PORT,Version=2c,Timeout=2,Retries=0" SW_SECRET=$T/snmp/v2c.secret
# the daemon that configures switches checks their credentials files at start
chmod 0644 "$SW_SECRET"
SWITCH_A=$(switch_line swa 'a[001-004]' "$SW_PORTS") write_conf
! start_daemon || fail "vlanallocd started with a world-readable SecretFile"
expect_in "switch 'swa': SecretFile '$SW_SECRET' is readable by group or others" "$(cat "$T/daemon.log")"
chmod 0600 "$SW_SECRET"
say "a world-readable SecretFile: vlanallocd refuses to start, naming the switch and the file"
say "SNMPv2c"
prove_switch
stop_daemon

SW_OPTS="Host=127.0.0.1,Port=$SNMP_PORT,Version=3,Timeout=2,Retries=0" SW_SECRET=$T/snmp/v3.secret
say "SNMPv3 authPriv (SHA/AES)"
prove_switch
pass
