#!/bin/bash
# Many clients at once: 200 jobs acquired by 8 concurrent clients never share
# a (site, VLAN) pair or a VNI, stay inside the configured ranges, and are
# exactly what `list` shows; concurrent releases and a mixed acquire/release
# phase leave everything free; and 8 clients acquiring (then releasing) the
# same job all get the same answer, with one hold and one history entry.
. "$(dirname "$0")/lib.sh"
vc_setup
start_munged
# Fragmented ranges, wide enough for 200 jobs in any order: sites a and b share
# 100-149,300-499, which leaves room for the shared jobs even when every
# single-site job took an id from the common part first.
export VLANS_A=100-199,300-499 VLANS_B=100-149,300-599 VLANS_C=2000-2099
write_conf
start_daemon

CLIENTS=8
PER=25
NJOBS=$((CLIENTS * PER))
FIRST=1001
mkdir -p "$T/plans" "$T/rc"

# nodes_of JOB: a mix of single-site a, single-site b, shared a+b and stitched a+c.
nodes_of() {
        local i=$(($1 - FIRST)) n
        n=$(printf '%03d' $((i % 16 + 1)))
        case $((i % 4)) in
        0) echo "a$n" ;;
        1) echo "b$n" ;;
        2) echo "a$n,b$n" ;;
        3) echo "a$n,c$(printf '%03d' $((i % 8 + 1)))" ;;
        esac
}

# run_clients PHASE FUNC: CLIENTS background loops, client k doing FUNC on its PER jobs.
run_clients() {
        local phase=$1 fn=$2 k pids=()
        for k in $(seq 0 $((CLIENTS - 1))); do
                (
                        set +e
                        for j in $(seq $((FIRST + k * PER)) $((FIRST + k * PER + PER - 1))); do
                                "$fn" "$j"
                                echo "$j $?" >>"$T/rc/$phase.$k"
                        done
                ) &
                pids+=($!)
        done
        for p in "${pids[@]}"; do wait "$p" || fail "$phase: client $p failed"; done
        local bad
        bad=$(cat "$T/rc/$phase".* | awk '$2 != 0' | head -5)
        [ -z "$bad" ] || fail "$phase: commands failed (job exit): $bad"
        [ "$(cat "$T/rc/$phase".* | wc -l)" = "$NJOBS" ] || fail "$phase: not every job ran"
}

do_acquire() { va acquire "$1" --nodes "$(nodes_of "$1")" --end 4102444800 --json >"$T/plans/$1.json" 2>"$T/plans/$1.err"; }
do_release() { va release "$1" >/dev/null 2>"$T/plans/$1.rel.err"; }

# in_ranges RANGES ID: is ID inside the comma-separated LO-HI list?
in_ranges() {
        local r lo hi
        for r in ${1//,/ }; do
                lo=${r%-*} hi=${r#*-}
                [ "$2" -ge "$lo" ] && [ "$2" -le "$hi" ] && return 0
        done
        return 1
}

say "$NJOBS jobs acquired by $CLIENTS concurrent clients"
start=$(date +%s%N)
run_clients acquire do_acquire
say "  took $((($(date +%s%N) - start) / 1000000)) ms"

say "every plan is ok and the plans never share a (site, VLAN) pair or a VNI"
for j in $(seq $FIRST $((FIRST + NJOBS - 1))); do
        jq -e --argjson j "$j" '.job == $j and .state == "held" and (.sites | length) >= 1
                and all(.sites[]; .vlan != null)' "$T/plans/$j.json" >/dev/null ||
                fail "plan of job $j: $(cat "$T/plans/$j.json" "$T/plans/$j.err")"
done
jq -s -r '.[] | .job as $j | .sites[] | "\(.name) \(.vlan) \($j)"' "$T/plans"/*.json | sort >"$T/held.plans"
[ "$(wc -l <"$T/held.plans")" -ge "$NJOBS" ] || fail "fewer holds than jobs"
dups=$(awk '{print $1, $2}' "$T/held.plans" | sort | uniq -d | head -5)
[ -z "$dups" ] || fail "(site, VLAN) pairs given twice: $dups — $(grep -F "$(head -1 <<<"$dups")" "$T/held.plans")"
vdups=$(jq -s -r '.[] | select(.mode == "stitched") | .vni' "$T/plans"/*.json | sort | uniq -d | head -5)
[ -z "$vdups" ] || fail "VNIs given twice: $vdups"
[ "$(jq -s '[.[] | select(.mode == "stitched")] | length' "$T/plans"/*.json)" = $((NJOBS / 4)) ] ||
        fail "expected $((NJOBS / 4)) stitched plans"
[ "$(jq -s '[.[] | select(.mode == "shared") | select((.sites | map(.vlan) | unique | length) != 1)] | length' \
        "$T/plans"/*.json)" = 0 ] || fail "a shared plan has different ids per site"

say "every id lies within its site's configured ranges"
while read -r site vlan job; do
        case $site in
        a) ranges=$VLANS_A ;;
        b) ranges=$VLANS_B ;;
        c) ranges=$VLANS_C ;;
        *) fail "job $job got unknown site '$site'" ;;
        esac
        in_ranges "$ranges" "$vlan" || fail "job $job: site $site VLAN $vlan is outside $ranges"
done <"$T/held.plans"

say "list shows exactly the held set"
va list --json | jq -r '.vlans[] | "\(.site) \(.vlan) \(.job)"' | sort >"$T/held.list"
diff "$T/held.plans" "$T/held.list" >"$T/held.diff" || fail "list differs from the plans: $(head "$T/held.diff")"
va ranges --json | jq -r '.sites[] | "\(.site) \(.held)"' >"$T/ranges.held"
for s in a b c; do
        want=$(awk -v s=$s '$1 == s' "$T/held.plans" | wc -l)
        [ "$(awk -v s=$s '$1 == s {print $2}' "$T/ranges.held")" = "$want" ] ||
                fail "ranges: site $s held $(cat "$T/ranges.held"), expected $want"
done
va check >/dev/null || fail "check after the acquire phase: $(va check)"

say "$NJOBS jobs released by $CLIENTS concurrent clients"
run_clients release do_release
[ "$(va list --json | jq '.vlans | length')" = 0 ] || fail "held after release: $(va list)"
for j in $FIRST $((FIRST + NJOBS - 1)); do
        va show "$j" --json | jq -e '.state == "released"' >/dev/null || fail "job $j: $(va show "$j")"
done

say "mixed: $CLIENTS clients each acquire and release $PER jobs, interleaved"
FIRST=3001
rm -f "$T/plans"/*
do_cycle() { do_acquire "$1" && do_release "$1"; }
run_clients mixed do_cycle
jq -s -r '.[] | .job as $j | .sites[] | "\(.name) \(.vlan) \($j)"' "$T/plans"/*.json | sort >"$T/mixed.plans"
[ "$(jq -s 'length' "$T/plans"/*.json)" = "$NJOBS" ] || fail "mixed: not every acquire printed a plan"
while read -r site vlan job; do
        case $site in a) ranges=$VLANS_A ;; b) ranges=$VLANS_B ;; c) ranges=$VLANS_C ;; esac
        in_ranges "$ranges" "$vlan" || fail "mixed: job $job: site $site VLAN $vlan outside $ranges"
done <"$T/mixed.plans"
[ "$(va list --json | jq '.vlans | length')" = 0 ] || fail "held after the mixed phase: $(va list)"

say "all ids free again and the state is consistent"
va ranges --json | jq -e 'all(.sites[]; .free == .size and .held == 0 and .drained == 0
        and (.outside | length) == 0)' >/dev/null || fail "ranges: $(va ranges)"
va check >/dev/null || fail "check: $(va check)"

say "$CLIENTS clients acquire the same job at once: one answer, one hold"
J=7777
pids=()
for k in $(seq $CLIENTS); do
        va acquire $J --nodes 'a[001-002],c001' --end 4102444800 --json >"$T/same.$k" 2>"$T/same.$k.err" &
        pids+=($!)
done
for k in $(seq $CLIENTS); do
        wait "${pids[$((k - 1))]}" || fail "concurrent acquire of $J #$k failed: $(cat "$T/same.$k.err")"
done
for k in $(seq 2 $CLIENTS); do
        [ "$(jq -S . "$T/same.1")" = "$(jq -S . "$T/same.$k")" ] ||
                fail "plans differ: $(jq -c . "$T/same.1") vs $(jq -c . "$T/same.$k")"
done
va list --json | jq -e --argjson j $J '(.vlans | length) == 2 and all(.vlans[]; .job == $j)
        and ([.vlans[].site] | sort) == ["a", "c"]' >/dev/null || fail "holds: $(va list)"
va show $J --json | jq -e '[.history[].event] == ["acquire"]' >/dev/null ||
        fail "history after concurrent acquires: $(va show $J --json | jq -c .history)"

say "$CLIENTS concurrent releases of it all succeed, once"
pids=()
for k in $(seq $CLIENTS); do
        va release $J >"$T/rel.$k" 2>&1 &
        pids+=($!)
done
for k in $(seq $CLIENTS); do
        wait "${pids[$((k - 1))]}" || fail "concurrent release of $J #$k failed: $(cat "$T/rel.$k")"
done
[ "$(grep -lx released "$T"/rel.* | wc -l)" = 1 ] || fail "expected exactly one 'released': $(cat "$T"/rel.*)"
[ "$(va list --json | jq '.vlans | length')" = 0 ] || fail "held after release: $(va list)"
va show $J --json | jq -e '[.history[].event] == ["acquire","release","released"]' >/dev/null ||
        fail "history after concurrent releases: $(va show $J --json | jq -c .history)"
va check >/dev/null || fail "check: $(va check)"
pass
