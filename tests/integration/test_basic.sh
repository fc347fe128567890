#!/bin/bash
# acquire/release through the real CLI and daemon: shared and stitched plans,
# idempotence, exhausted pool, drain, bad input.
. "$(dirname "$0")/lib.sh"
vc_setup
start_munged
VLANS_C=2000-2001 write_conf "SiteName=big SiteId=9 VlanIds=10-20 Nodes=x[00001-60000]" "ImageName=tiny Kernel=/k"
start_daemon

say "shared: one id free at both sites (a and b share L2Domain=campus)"
plan=$(va acquire 11 --nodes 'a[001-002],b001' --end 4102444800 --json)
[ "$(jq -r .mode <<<"$plan")" = shared ] || fail "mode: $plan"
[ "$(jq -r '.sites | map(.vlan) | unique | length' <<<"$plan")" = 1 ] || fail "shared ids differ: $plan"
[ "$(jq -r '.sites[0].vlan' <<<"$plan")" = 100 ] || fail "lowest common id should be 100: $plan"
[ "$(jq -r '.sites[0].gateway' <<<"$plan")" = a001 ] || fail "gateway: $plan"
[ "$(jq -r '.sites[1].nodes | join(",")' <<<"$plan")" = b001 ] || fail "site b nodes: $plan"

say "idempotent acquire returns the same plan"
again=$(va acquire 11 --nodes 'a[001-002],b001' --end 4102444800 --json)
[ "$(jq -S . <<<"$plan")" = "$(jq -S . <<<"$again")" ] || fail "second acquire differs: $again"

say "stitched: sites a and c are not joined, so each gets its own id and a VNI"
p2=$(va acquire 12 --nodes 'a003,c001' --json)
[ "$(jq -r .mode <<<"$p2")" = stitched ] || fail "mode: $p2"
[ "$(jq -r '.sites[0].vlan' <<<"$p2")" = 101 ] || fail "site a id: $p2"
[ "$(jq -r '.sites[1].vlan' <<<"$p2")" = 2000 ] || fail "site c id: $p2"
[ "$(jq -r '.vni' <<<"$p2")" = 5000 ] || fail "vni: $p2"
expect_exit 1 va acquire 13 --nodes 'a004,c002' --spec l2=shared
expect_in "do not share an L2Domain" "$ERR"

say "guests that cannot fit the cluster's subnet are refused before anything is configured"
expect_exit 1 va acquire 13 --nodes 'a[004-006]' --spec image=tiny,vms=2,subnet=10.0.0.0/30
expect_in "spec: the cluster has 6 guests: more than subnet=10.0.0.0/30 holds" "$ERR"
# refused before anything was recorded: the daemon does not know the job at all
expect_exit 1 va show 13
expect_in "job 13 is not known to vlanallocd" "$ERR"
[ "$(va list --json | jq '[.vlans[] | select(.job == 13)] | length')" = 0 ] || fail "job 13 holds a VLAN after the refusal: $(va list)"
va acquire 13 --nodes 'a[004-006]' --spec image=tiny,vms=2,subnet=10.0.0.0/29 --json >/dev/null ||
        fail "6 guests in a /29 refused"
va release 13 >/dev/null

say "exhausted pool names the site and its free count"
va acquire 14 --nodes c003 >/dev/null
expect_exit 3 va acquire 15 --nodes c004
expect_in "c: 0 of 2 free" "$ERR"
va release 14 >/dev/null

say "drain skips an id; undrain gives it back"
va drain c 2001 --reason "bad port" >/dev/null
expect_exit 3 va acquire 15 --nodes c004
va list | grep -q "bad port" || fail "list does not show the drain reason"
va undrain c 2001 >/dev/null
[ "$(va acquire 15 --nodes c004 --json | jq -r '.sites[0].vlan')" = 2001 ] || fail "undrained id not used"
expect_exit 1 va drain c 5 ; expect_in "not in site c's ranges" "$ERR"
expect_exit 1 va drain nosuch 100 ; expect_in "unknown site 'nosuch'" "$ERR"

say "ranges reports per-site counts"
r=$(va ranges --json)
[ "$(jq -r '.sites[] | select(.site=="c") | "\(.size) \(.free) \(.held)"' <<<"$r")" = "2 0 2" ] || fail "ranges: $r"
va ranges | head -1 | grep -q '^SITE *ID *RANGES' || fail "human ranges header"

say "bad input changes nothing"
before=$(va list --json)
expect_exit 1 va acquire 0 --nodes a001;            expect_in "JOBID '0'" "$ERR"
expect_exit 1 va acquire 20 --nodes 'zz9';          expect_in "'zz9' is in no site" "$ERR"
expect_exit 1 va acquire 20 --nodes 'a[1-';         expect_in "nodes: hostlist 'a[1-': unclosed '['" "$ERR"
expect_exit 1 va acquire 20 --nodes a005 --spec mem=3X; expect_in "mem=3X: not a size" "$ERR"
expect_exit 1 va acquire 20 --nodes a005,a005;      expect_in "listed twice" "$ERR"
expect_exit 1 va acquire 11 --nodes a009;           expect_in "already holds" "$ERR"
expect_exit 1 va acquire 20;                        expect_in "--nodes HOSTLIST is required" "$ERR"
expect_exit 1 va frobnicate;                        expect_in "unknown command" "$ERR"
expect_exit 1 va acquire 20 --nodes a005 --bogus;   expect_in "not valid here" "$ERR"
expect_exit 1 va show 999;                          expect_in "not known" "$ERR"
expect_exit 1 va acquire 20 --nodes a005 --end 9223372036854775807; expect_in "0..253402300799" "$ERR"
expect_exit 1 "$BIN/vlanalloc" -c;                  expect_in "-c needs a FILE" "$ERR"
[ "$before" = "$(va list --json)" ] || fail "bad input changed the state"

say "a host without the daemon's socket (a compute node) reaches it over TCP at ControllerAddr"
sed "s|StateDir=$T/state|StateDir=$T/node-state|" "$CONF" >"$T/node.conf"
[ ! -e "$T/node-state" ] || fail "node state dir should not exist"
"$BIN/vlanalloc" -c "$T/node.conf" show 11 --json | jq -e '.state == "held"' >/dev/null || fail "show over TCP"
sed -i "s|ControllerAddr=127.0.0.1:$VC_PORT|ControllerAddr=127.0.0.1:$(free_port)|" "$T/node.conf"
expect_exit 2 "$BIN/vlanalloc" -c "$T/node.conf" ranges
expect_in "cannot reach vlanallocd at 127.0.0.1:" "$ERR"

say "a 60 000-node job is planned in linear time (the guard catches a hang, not slowness)"
timeout 60 "$BIN/vlanalloc" -c "$CONF" acquire 21 --nodes 'x[00001-60000]' --json >"$T/big.json" ||
        fail "60 000-node acquire did not finish"
[ "$(jq '.sites[0].nodes | length' "$T/big.json")" = 60000 ] || fail "big plan lost nodes"
[ "$(jq -r '.sites[0].nodes[59999]' "$T/big.json")" = x60000 ] || fail "big plan order"
expect_exit 1 timeout 60 "$BIN/vlanalloc" -c "$CONF" acquire 22 --nodes 'x[00001-60000],x00007'
expect_in "'x00007' is listed twice" "$ERR"
va release 21 >/dev/null

say "release is idempotent and keeps history"
for j in 11 12 15; do va release $j >/dev/null; done
[ "$(va release 11)" = "job 11 holds nothing" ] || fail "second release"
va show 11 --json | jq -e '[.history[].event] == ["acquire","release","released"]' >/dev/null || fail "history: $(va show 11 --json | jq -c .history)"
va show 11 --json | jq -e '.state == "released" and (.steps | all(.state == "undone"))' >/dev/null || fail "steps not undone"
pass
