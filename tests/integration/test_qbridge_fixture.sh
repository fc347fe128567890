#!/bin/bash
# The Q-BRIDGE switch fixture (tests/fixtures/qbridge_agent) behind a real
# snmpd, proven with net-snmp's own CLI tools and by packets: VLANs written
# over SNMP really isolate hosts on the Open vSwitch ports it drives. The
# SNMP driver's tests rely on everything checked here.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ovs.sh"
. "$(dirname "$0")/snmp.sh"

ST=1.3.6.1.2.1.17.7.1.4.3.1       # dot1qVlanStaticEntry: .COL.VID
PVID=1.3.6.1.2.1.17.7.1.4.5.1.1   # dot1qPvid.PORT
NAME=1 EGRESS=2 FORBIDDEN=3 UNTAGGED=4 STATUS=5
BR=qb0

# val OID: the value as "TYPE: value", octet strings in hex.
val() { snmp_v2c snmpget -Ovx "$1" | sed 's/ *$//'; }
# port_cfg PORT: what OVS holds for it, "vlan_mode tag trunks".
port_cfg() { vsctl get port "$1" vlan_mode tag trunks | tr '\n' ' ' | sed 's/ $//'; }
expect_val() { local got; got=$(val "$1"); [ "$got" = "$2" ] || fail "$1: got '$got', expected '$2'"; }
expect_port() { local got; got=$(port_cfg "$1"); [ "$got" = "$2" ] || fail "OVS port $1: got '$got', expected '$2'"; }
# expect_snmp_error REASON TOOL ARGS…: the request fails with that SNMP error.
# SNMP_OUT keeps what the tool printed (its "Failed object:" names the varbind).
expect_snmp_error() {
        local want=$1 rc=0
        shift
        SNMP_OUT=$("$@" 2>&1) || rc=$?
        [ "$rc" != 0 ] || fail "'$*' succeeded, expected $want: $SNMP_OUT"
        expect_in "Reason: $want" "$SNMP_OUT"
}
# pings A IP: A reaches IP (a few tries: ARP and the first flow setup).
pings() {
        for _ in 1 2 3; do host_ping "$1" "$2" && return 0; done
        return 1
}
no_row() { expect_val "$ST.$STATUS.$1" "No Such Instance currently exists at this OID"; }

vc_setup
start_ovs
ovs_bridge $BR
for i in 1 2 3 4; do ovs_host h$i 10.77.0.$i $BR p$i; done
say "before the fixture, an OVS port with no VLAN settings carries everything"
pings h1 10.77.0.3 || fail "h1 cannot reach h3 on a plain bridge"

start_snmpd
t0=$(date +%s%N)
start_qbridge $BR 1=p1 2=p2 3=p3 4=p4
say "fixture registered in $((($(date +%s%N) - t0) / 1000000)) ms"

say "secret files are root-only and hold what start_snmpd exported"
for f in v2c v3; do
        [ "$(stat -c %a "$T/snmp/$f.secret")" = 600 ] || fail "$f.secret mode $(stat -c %a "$T/snmp/$f.secret")"
done
grep -qx "Community=$SNMP_COMMUNITY" "$T/snmp/v2c.secret" || fail "v2c.secret"
grep -qx "PrivPass=$SNMP_PRIV_PASS" "$T/snmp/v3.secret" || fail "v3.secret"

say "start-up: the empty table leaves every mapped port carrying nothing (trunk of VLAN 4095)"
for p in p1 p2 p3 p4; do expect_port $p "trunk [] [4095]"; done
if host_ping h1 10.77.0.2; then fail "h1 reaches h2 with an empty VLAN table"; fi

say "v2c and v3 authPriv both read dot1qPvid; a wrong community or key gets no answer"
expect_val "$PVID.1" "Gauge32: 1"
[ "$(snmp_v3 snmpget -Ov "$PVID.8")" = "Gauge32: 1" ] || fail "v3 authPriv GET"
out=$(snmpget -v2c -c "wrong$SNMP_COMMUNITY" -t 1 -r 0 "udp:127.0.0.1:$SNMP_PORT" "$PVID.1" 2>&1) &&
        fail "a wrong community was answered: $out"
expect_in "Timeout" "$out"
out=$(snmpget -v3 -l authPriv -u "$SNMP_V3_USER" -a SHA -A "$SNMP_AUTH_PASS" -x AES -X "wrong$SNMP_PRIV_PASS" \
        -t 1 -r 0 "udp:127.0.0.1:$SNMP_PORT" "$PVID.1" 2>&1) && fail "a wrong privacy key was answered: $out"
expect_in "Timeout" "$out"

say "createAndGo + name + egress + untagged in one v3 PDU, read back"
t0=$(date +%s%N)
snmp_v3 snmpset "$ST.$STATUS.101" i 4 "$ST.$NAME.101" s blue "$ST.$EGRESS.101" x C0 "$ST.$UNTAGGED.101" x C0 >/dev/null
say "  one 4-varbind SET incl. the OVS update: $((($(date +%s%N) - t0) / 1000000)) ms"
expect_val "$ST.$STATUS.101" "INTEGER: 1"
[ "$(snmp_v2c snmpget -Ov "$ST.$NAME.101")" = 'STRING: "blue"' ] || fail "name of 101"
expect_val "$ST.$EGRESS.101" "Hex-STRING: C0"
expect_val "$ST.$UNTAGGED.101" "Hex-STRING: C0"
expect_val "$ST.$FORBIDDEN.101" "Hex-STRING: 00"

say "the columns may precede the createAndGo in the PDU (v2c, VLAN 102 on ports 3,4)"
snmp_v2c snmpset "$ST.$NAME.102" s green "$ST.$EGRESS.102" x 30 "$ST.$UNTAGGED.102" x 30 "$ST.$STATUS.102" i 4 >/dev/null
expect_val "$ST.$EGRESS.102" "Hex-STRING: 30"
expect_port p1 "access 101 []"
expect_port p2 "access 101 []"
expect_port p3 "access 102 []"
expect_port p4 "access 102 []"
tail -1 "$T/snmp/qbridge.log" | grep -q "set port p3 .* set port p4 " || fail "p3/p4 not applied together"
tail -1 "$T/snmp/qbridge.log" | grep -q "port p1" && fail "an unchanged port was re-applied"

say "by packets: VLAN 101 (ports 1,2) and 102 (ports 3,4) are isolated"
pings h1 10.77.0.2 || fail "h1 cannot reach h2 on VLAN 101"
pings h3 10.77.0.4 || fail "h3 cannot reach h4 on VLAN 102"
if host_ping h1 10.77.0.3; then fail "h1 (VLAN 101) reaches h3 (VLAN 102)"; fi

say "walks list the rows in OID order; GETBULK agrees with GETNEXT"
walk=$(snmp_v2c snmpwalk -Oqx "1.3.6.1.2.1.17.7.1.4.3" | awk '{printf "%s ", $1}')
want=""
for c in 1 2 3 4 5; do want+=".$ST.$c.101 .$ST.$c.102 "; done
[ "$walk" = "$want" ] || fail "walk order: $walk"
[ "$(snmp_v2c snmpwalk -Ox 1.3.6.1.2.1.17.7.1.4)" = "$(snmp_v3 snmpbulkwalk -Ox 1.3.6.1.2.1.17.7.1.4)" ] ||
        fail "snmpbulkwalk differs from snmpwalk"
[ "$(snmp_v2c snmpwalk 1.3.6.1.2.1.17.7.1.4.5 | wc -l)" = 8 ] || fail "dot1qPvid walk is not 8 ports"

say "RowStatus errors: createAndGo on an existing row, columns of a missing row, bad ids and values"
expect_snmp_error inconsistentValue snmp_v2c snmpset "$ST.$STATUS.101" i 4
expect_snmp_error inconsistentValue snmp_v2c snmpset "$ST.$STATUS.101" i 5
expect_snmp_error noCreation snmp_v2c snmpset "$ST.$NAME.150" s orphan
expect_snmp_error noCreation snmp_v2c snmpset "$ST.$EGRESS.150" x 80
expect_snmp_error inconsistentValue snmp_v2c snmpset "$ST.$STATUS.150" i 1
expect_snmp_error noCreation snmp_v2c snmpset "$ST.$STATUS.4095" i 4
expect_snmp_error noCreation snmp_v2c snmpset "$ST.$STATUS.0" i 4
expect_snmp_error noCreation snmp_v2c snmpset "$PVID.9" u 1
expect_snmp_error wrongValue snmp_v2c snmpset "$ST.$STATUS.150" i 3
expect_snmp_error wrongValue snmp_v2c snmpset "$ST.$STATUS.150" i 7
expect_snmp_error wrongType snmp_v2c snmpset "$ST.$STATUS.150" s 4
expect_snmp_error wrongType snmp_v2c snmpset "$ST.$EGRESS.101" i 1
expect_snmp_error wrongType snmp_v2c snmpset "$PVID.1" i 101
expect_snmp_error wrongValue snmp_v2c snmpset "$PVID.1" u 4095
expect_snmp_error wrongLength snmp_v2c snmpset "$ST.$NAME.101" s 123456789012345678901234567890123
snmp_v2c snmpset "$ST.$NAME.101" s "" >/dev/null
[ "$(snmp_v2c snmpget -Ov "$ST.$NAME.101")" = '""' ] || fail "empty name of 101"  # how net-snmp prints an empty string
snmp_v2c snmpset "$ST.$NAME.101" s blue >/dev/null
expect_snmp_error notWritable snmp_v2c snmpset 1.3.6.1.2.1.17.7.1.4.1.0 i 1
no_row 150

say "PortList: port 9 of an 8-port switch is wrongValue; a longer list with zero tail is fine"
expect_snmp_error wrongValue snmp_v2c snmpset "$ST.$EGRESS.101" x C040
snmp_v2c snmpset "$ST.$EGRESS.101" x C00000 >/dev/null
expect_val "$ST.$EGRESS.101" "Hex-STRING: C0"
expect_snmp_error inconsistentValue snmp_v2c snmpset "$ST.$EGRESS.101" x 80   # port 2 stays untagged

say "one bad varbind changes nothing (a wrong value, then a consistency error)"
expect_snmp_error wrongValue snmp_v2c snmpset "$ST.$NAME.101" s changed "$ST.$STATUS.103" i 4 \
        "$ST.$EGRESS.103" x 80 "$PVID.1" u 101 "$ST.$UNTAGGED.103" x 0080
expect_in "Failed object: .$ST.$UNTAGGED.103" "$SNMP_OUT"
expect_snmp_error inconsistentValue snmp_v3 snmpset "$ST.$NAME.101" s changed "$ST.$STATUS.103" i 4 \
        "$ST.$EGRESS.103" x 80 "$ST.$UNTAGGED.103" x 40
expect_in "Failed object: .$ST.$UNTAGGED.103" "$SNMP_OUT"
expect_snmp_error inconsistentValue snmp_v2c snmpset "$ST.$STATUS.102" i 6 "$ST.$NAME.102" s gone
expect_in "Failed object: .$ST.$NAME.102" "$SNMP_OUT"
# Across subagents too: snmpd refuses its read-only sysDescr.0, so the
# fixture's part of the PDU is freed, never applied.
expect_snmp_error notWritable snmp_v2c snmpset "$ST.$STATUS.103" i 4 "$ST.$NAME.101" s changed \
        1.3.6.1.2.1.1.1.0 s x
[ "$(snmp_v2c snmpget -Ov "$ST.$NAME.101")" = 'STRING: "blue"' ] || fail "an aborted SET renamed 101"
no_row 103
expect_val "$PVID.1" "Gauge32: 1"
expect_val "$ST.$STATUS.102" "INTEGER: 1"
expect_port p1 "access 101 []"

say "createAndWait → notInService (not forwarded) → active → notInService; destroy twice is fine"
snmp_v2c snmpset "$ST.$STATUS.104" i 5 "$ST.$EGRESS.104" x F0 >/dev/null
expect_val "$ST.$STATUS.104" "INTEGER: 2"
expect_port p1 "access 101 []"
snmp_v2c snmpset "$ST.$STATUS.104" i 1 >/dev/null
expect_port p1 "native-untagged 101 [104]"
expect_port p3 "native-untagged 102 [104]"
snmp_v2c snmpset "$ST.$STATUS.104" i 2 >/dev/null
expect_port p3 "access 102 []"
snmp_v2c snmpset "$ST.$STATUS.104" i 6 >/dev/null
snmp_v2c snmpset "$ST.$STATUS.104" i 6 >/dev/null   # RFC 2579: destroy of no row is noError
no_row 104

say "OVS mapping: tagged-only is a trunk; the tag is the PVID when untagged there, else the smallest"
snmp_v2c snmpset "$ST.$STATUS.105" i 4 "$ST.$EGRESS.105" x 18 >/dev/null   # ports 4 and 5 (not cabled)
expect_port p4 "native-untagged 102 [105]"
snmp_v2c snmpset "$ST.$STATUS.105" i 6 "$ST.$EGRESS.102" x 20 "$ST.$UNTAGGED.102" x 20 >/dev/null
expect_port p4 "trunk [] [4095]"
snmp_v2c snmpset "$ST.$STATUS.106" i 4 "$ST.$EGRESS.106" x 10 >/dev/null
expect_port p4 "trunk [] [106]"
snmp_v2c snmpset "$ST.$EGRESS.102" x 30 "$ST.$UNTAGGED.102" x 30 "$ST.$STATUS.106" i 6 >/dev/null
snmp_v2c snmpset "$ST.$EGRESS.102" x B0 "$ST.$UNTAGGED.102" x B0 >/dev/null   # port 1 untagged in 101 and 102
expect_port p1 "access 101 []"
snmp_v2c snmpset "$PVID.1" u 102 >/dev/null
expect_port p1 "access 102 []"
snmp_v2c snmpset "$ST.$EGRESS.102" x 30 "$ST.$UNTAGGED.102" x 30 "$PVID.1" u 1 >/dev/null
expect_port p1 "access 101 []"
pings h1 10.77.0.2 || fail "h1 lost h2 after the PVID round trip"

say "faults file: refuse-create, ignore-egress, refuse-all; re-read on every SET"
echo refuse-create >"$QB_FAULTS"
expect_snmp_error resourceUnavailable snmp_v2c snmpset "$ST.$STATUS.107" i 4
expect_snmp_error resourceUnavailable snmp_v2c snmpset "$ST.$STATUS.107" i 5
snmp_v2c snmpset "$ST.$NAME.101" s blue2 >/dev/null   # other SETs still work
no_row 107
echo ignore-egress >"$QB_FAULTS"
snmp_v2c snmpset "$ST.$EGRESS.101" x E0 "$ST.$UNTAGGED.101" x E0 >/dev/null
expect_val "$ST.$EGRESS.101" "Hex-STRING: C0"
expect_val "$ST.$UNTAGGED.101" "Hex-STRING: C0"
printf 'refuse-all\n' >"$QB_FAULTS"
expect_snmp_error "(genError)" snmp_v2c snmpset "$ST.$NAME.101" s blue3
expect_snmp_error "(genError)" snmp_v3 snmpset "$ST.$STATUS.101" i 6
rm "$QB_FAULTS"
snmp_v2c snmpset "$ST.$NAME.101" s blue >/dev/null
[ "$(snmp_v2c snmpget -Ov "$ST.$NAME.101")" = 'STRING: "blue"' ] || fail "SET after the faults file went"

say "an OVS update that fails is logged, the SET still succeeds, and the port is retried"
vsctl del-port $BR p4
snmp_v2c snmpset "$ST.$EGRESS.102" x 20 "$ST.$UNTAGGED.102" x 20 >/dev/null
grep -q 'error: .*no row "p4" in table Port' "$T/snmp/qbridge.log" || fail "the failed OVS update was not logged"
expect_val "$ST.$EGRESS.102" "Hex-STRING: 20"
vsctl add-port $BR p4   # back with no VLAN settings: it would carry everything
snmp_v2c snmpset "$ST.$NAME.102" s green >/dev/null
expect_port p4 "trunk [] [4095]"
snmp_v2c snmpset "$ST.$EGRESS.102" x 30 "$ST.$UNTAGGED.102" x 30 >/dev/null
expect_port p4 "access 102 []"

say "destroy 101: h1 no longer reaches h2, its ports carry nothing again"
snmp_v3 snmpset "$ST.$STATUS.101" i 6 >/dev/null
no_row 101
expect_port p1 "trunk [] [4095]"
expect_port p2 "trunk [] [4095]"
if host_ping h1 10.77.0.2; then fail "h1 still reaches h2 after VLAN 101 was destroyed"; fi
pings h3 10.77.0.4 || fail "destroying 101 broke VLAN 102"
snmp_v2c snmpset "$ST.$STATUS.102" i 6 >/dev/null
left=$(snmp_v2c snmpwalk 1.3.6.1.2.1.17.7.1.4.3 | grep "^\.$ST\." || true)
[ -z "$left" ] || fail "rows left in the table: $left"
errs=$(grep error "$T/snmp/qbridge.log" | grep -v 'no row "p4"' || true)
[ -z "$errs" ] || fail "the fixture logged an error: $errs"

pass
