#!/bin/bash
# The exec driver runs a site's own switch script (here one driving OVS with
# ovs-vsctl): two jobs isolated by packets, nothing left after release.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ovs.sh"
. "$(dirname "$0")/switch_proof.sh"
vc_setup
start_munged
switch_hosts
mkdir -p "$T/exec-state"
cat >"$T/switch-cli" <<EOS
#!/bin/sh
OVS_DB='$OVS_DB' EXEC_STATE='$T/exec-state' EXEC_FAULT='$T/exec.fault' exec '$ROOT/tests/integration/exec_switch.sh' "\$@"
EOS
chmod 0755 "$T/switch-cli"
# a fresh OVS port carries every VLAN: park the node ports as an admin would
vsctl -- set port p1 trunks=4095 -- set port p2 trunks=4095 -- set port p3 trunks=4095 -- set port p4 trunks=4095
SW_DRIVER=exec SW_OPTS="Program=$T/switch-cli,Timeout=5" SW_SECRET="" SW_PORTS='p[1-4]' SW_PORT_NAMES="p1 p2 p3 p4"
prove_switch
pass
