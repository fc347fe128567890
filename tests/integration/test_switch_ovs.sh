#!/bin/bash
# The ovs driver configures a real Open vSwitch through OVSDB: two jobs on
# four hosts are isolated by packets and leave nothing behind.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ovs.sh"
. "$(dirname "$0")/switch_proof.sh"
vc_setup
start_munged
switch_hosts
SW_DRIVER=ovs SW_OPTS="Db=$OVS_DB,Bridge=sw" SW_SECRET="" SW_PORTS='p[1-4]' SW_PORT_NAMES="p1 p2 p3 p4"
# a fresh OVS port carries every VLAN: park the node ports as an admin would
vsctl -- set port p1 trunks=4095 -- set port p2 trunks=4095 -- set port p3 trunks=4095 -- set port p4 trunks=4095
prove_switch
for p in p1 p2 p3 p4; do
        [ "$(vsctl get port $p tag trunks external_ids | tr '\n' ' ')" = "[] [4095] {} " ] ||
                fail "port $p not as the admin left it: $(vsctl get port $p tag trunks external_ids)"
done
say "every port is back to what the admin set (tag none, trunks 4095, no external_ids)"
pass
