#!/bin/bash
# SIGHUP reloads the configuration: an id held (or drained) outside the new
# ranges is warned about, kept until released, then never handed out again;
# a broken configuration is refused and the running one kept.
. "$(dirname "$0")/lib.sh"
vc_setup
start_munged
write_conf # site c: 2000-2099
start_daemon

# wait_log TEXT [SINCE-LINE]: poll the daemon log (max 5 s) for TEXT after line SINCE.
log_lines() { wc -l <"$T/daemon.log"; }
c_ranges() { va ranges --json | jq -c '.sites[] | select(.site == "c")'; }

say "job 61 gets 2000 on site c; 2001 is drained"
[ "$(va acquire 61 --nodes c001 --json | jq -r '.sites[0].vlan')" = 2000 ] || fail "61 did not get 2000"
va drain c 2001 --reason "before reload" >/dev/null

say "reload with site c shrunk to 2050-2099"
mark=$(log_lines)
VLANS_C=2050-2099 write_conf
kill -HUP "$DAEMON_PID"
wait_log "reloaded $CONF" "$mark"
tail -n +$((mark + 1)) "$T/daemon.log" >"$T/reload.log"
grep -q "VLAN 2000 of site c is held by a job but outside the new ranges" "$T/reload.log" ||
        fail "no warning for held 2000: $(cat "$T/reload.log")"
grep -q "VLAN 2001 of site c is drained but outside the new ranges" "$T/reload.log" ||
        fail "no warning for drained 2001: $(cat "$T/reload.log")"
kill -0 "$DAEMON_PID" || fail "daemon died on reload"

say "the held id is kept; new acquires use the new ranges"
va list --json | jq -e '[.vlans[] | select(.job == 61 and .site == "c" and .vlan == 2000)] | length == 1' \
        >/dev/null || fail "61 lost 2000: $(va list)"
[ "$(va show 61 --json | jq -r .state)" = held ] || fail "61: $(va show 61)"
[ "$(va acquire 62 --nodes c002 --json | jq -r '.sites[0].vlan')" = 2050 ] || fail "62 did not get 2050: $(va list)"
r=$(c_ranges)
jq -e '.ranges == "2050-2099" and .size == 50 and .free == 49 and (.outside | sort) == [2000, 2001]' <<<"$r" \
        >/dev/null || fail "ranges of c: $r"

say "check notes the id outside the ranges but is clean"
out=$(va check --json) || fail "check exited non-zero: $(va check)"
jq -e '.clean == true and (.drift | length) == 0' <<<"$out" >/dev/null || fail "check: $out"
jq -e '[.notes[] | select(contains("2000") and contains("outside"))] | length >= 1' <<<"$out" >/dev/null ||
        fail "check does not note 2000 outside the ranges: $out"
va check | grep -q '^clean:' || fail "human check: $(va check)"

say "released, 2000 is gone and never handed out again"
va release 61 >/dev/null
va list --json | jq -e '[.vlans[] | select(.vlan == 2000)] | length == 0' >/dev/null || fail "2000 still listed: $(va list)"
va undrain c 2001 >/dev/null || fail "cannot undrain 2001 outside the ranges"
c_ranges | jq -e '.outside == [] and .free == 49 and .held == 1' >/dev/null || fail "ranges of c: $(c_ranges)"
# Fill site c: 49 more jobs take 2051-2099, then the pool is empty — 2000 and 2001 never come back.
for j in $(seq 100 148); do
        v=$(va acquire $j --nodes c003 --json | jq -r '.sites[0].vlan') || fail "acquire $j"
        [ "$v" -ge 2050 ] && [ "$v" -le 2099 ] || fail "job $j got $v, outside 2050-2099"
done
expect_exit 3 va acquire 149 --nodes c004
expect_in "c: 0 of 50 free" "$ERR"
va list --json | jq -e '[.vlans[] | select(.site == "c") | .vlan] | (length == 50 and min == 2050 and max == 2099)' \
        >/dev/null || fail "site c holds: $(va list)"
for j in 62 $(seq 100 148); do va release $j >/dev/null; done
[ "$(va list --json | jq '.vlans | length')" = 0 ] || fail "still held: $(va list)"

say "a broken configuration is refused and the running one kept"
cp "$CONF" "$T/good.conf"
echo "SiteName=x" >>"$CONF"
expect_exit 1 va list # really broken
mark=$(log_lines)
kill -HUP "$DAEMON_PID"
wait_log "reload refused" "$mark"
tail -n +$((mark + 1)) "$T/daemon.log" | grep -q "reload refused.*site 'x'" || fail "refusal does not name the problem"
kill -0 "$DAEMON_PID" || fail "daemon died on a broken reload"
CONF=$T/good.conf # the CLI needs a readable file; the daemon keeps reading the broken one
[ "$(va acquire 63 --nodes c001 --json | jq -r '.sites[0].vlan')" = 2050 ] || fail "acquire after refused reload"
va ranges --json | jq -e '(.sites | map(.site)) == ["a", "b", "c"]' >/dev/null || fail "site x appeared: $(va ranges)"
c_ranges | jq -e '.ranges == "2050-2099"' >/dev/null || fail "running config changed: $(c_ranges)"
va release 63 >/dev/null

say "a fixed configuration reloads again"
cp "$T/good.conf" "$T/vcluster.conf"
mark=$(log_lines)
kill -HUP "$DAEMON_PID"
wait_log "reloaded" "$mark"
va check >/dev/null || fail "check: $(va check)"
pass
