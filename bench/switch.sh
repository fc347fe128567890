#!/bin/bash
# bench/switch.sh BUILD — start a private OVS (and snmpd with the Q-BRIDGE
# fixture) with the test harness's own functions, then time one VLAN with N
# node ports per driver, batched vs naive (bench/switch.c says how).
VC_BUILD=${1:-build}
export VC_BUILD
TEST_NAME=bench-switch
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/tests/integration/lib.sh"
. "$ROOT/tests/integration/ovs.sh"
. "$ROOT/tests/integration/snmp.sh"
vc_setup
start_ovs
ovs_bridge sw
# 256 ports as rows only (no devices): the drivers change Port rows
args=()
for i in $(seq 256); do args+=(-- add-port sw "p$i"); done
# ovs-vswitchd cannot open their devices, so do not wait for it ("could not
# open network device": rows suffice); the transaction itself must succeed,
# and all 256 rows must be there, or the timings below measure something else
vsctl --no-wait "${args[@]}" 2>"$T/add-ports.err" || fail "adding 256 ports to sw failed: $(tail -3 "$T/add-ports.err")"
nports=$(vsctl list-ports sw) || fail "cannot list the ports of sw"
nports=$(grep -cx 'p[0-9]*' <<<"$nports" || true)
[ "$nports" = 256 ] || fail "sw has $nports of the 256 ports p1-p256: the timings would not be of 256 ports"
NS="1 16 64 256"
B=$ROOT/$VC_BUILD/bench/switch
echo "== one VLAN with N untagged node ports: configure + remove (median of 3)"
# shellcheck disable=SC2086
"$B" ovs "Db=$OVS_DB,Bridge=sw" - "$OVS_DB" p $NS
mkdir -p "$T/exec"
cat >"$T/switch-cli" <<EOS
#!/bin/sh
OVS_DB='$OVS_DB' EXEC_STATE='$T/exec' exec '$ROOT/tests/integration/exec_switch.sh' "\$@"
EOS
chmod 0755 "$T/switch-cli"
# shellcheck disable=SC2086
"$B" exec "Program=$T/switch-cli" - driver p 1 16 64
QB_PORTS=256
start_snmpd
maps=()
for i in $(seq 256); do maps+=("$i=p$i"); done
start_qbridge sw "${maps[@]}"
# shellcheck disable=SC2086
"$B" snmp "Host=127.0.0.1,Port=$SNMP_PORT,Timeout=10" "$T/snmp/v2c.secret" driver "" $NS
vc_leak_check
