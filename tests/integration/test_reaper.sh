#!/bin/bash
# The reaper releases a job whose lease (end time + LeaseGrace) ran out, says
# why in the job's history and in the log, and leaves jobs with time left alone.
. "$(dirname "$0")/lib.sh"
vc_setup
start_munged
REAP_INTERVAL=1 LEASE_GRACE=1 write_conf
# Leases only: no slurm.conf, so the reaper never asks a slurmctld about our jobs.
export SLURM_CONF=$T/no-such-slurm.conf
start_daemon

now=$(date +%s)
end41=$((now + 1))
end42=$((now + 3600))
say "job 41 ends in 1 s, job 42 in an hour (LeaseGrace=1, ReapInterval=1)"
p41=$(va acquire 41 --nodes a001 --end $end41 --json)
p42=$(va acquire 42 --nodes 'b001,c001' --end $end42 --json)
[ "$(jq -r .lease <<<"$p41")" = $((end41 + 1)) ] || fail "lease of 41 is not end + LeaseGrace: $p41"
[ "$(jq -r .lease <<<"$p42")" = $((end42 + 1)) ] || fail "lease of 42 is not end + LeaseGrace: $p42"
va list --json | jq -e '[.vlans[] | select(.job == 41)] | length == 1' >/dev/null || fail "41 not held: $(va list)"

say "the reaper releases 41 once its lease ran out"
released=""
for _ in $(seq 150); do
        if [ "$(va show 41 --json | jq -r .state)" = released ]; then
                released=$(date +%s)
                break
        fi
        sleep 0.1
done
[ -n "$released" ] || fail "job 41 still $(va show 41 --json | jq -r .state) after 15 s: $(va show 41)"
say "  released $((released - now)) s after the acquire"

hist=$(va show 41 --json | jq -c .history)
jq -e 'map(select(.event == "release" and (.detail | contains("lease expired")))) | length == 1' <<<"$hist" \
        >/dev/null || fail "no release naming the expired lease in the history: $hist"
at=$(jq -r 'map(select(.event == "release"))[0].at' <<<"$hist")
[ "$at" -ge $((end41 + 1)) ] || fail "released at $at, before the lease ($((end41 + 1))) ran out"
jq -e '.[-1].event == "released"' <<<"$hist" >/dev/null || fail "release did not complete: $hist"
va show 41 --json | jq -e '.steps | all(.state == "undone")' >/dev/null || fail "41's steps not undone"
grep -q "reaper: releasing job 41: lease expired" "$T/daemon.log" || fail "the reaper did not log why it released 41"
va list --json | jq -e '[.vlans[] | select(.job == 41)] | length == 0' >/dev/null || fail "41 still listed: $(va list)"

say "job 42 has time left and stays held through more passes"
sleep 2.5
va list --json | jq -e '[.vlans[] | select(.job == 42)] | length == 2' >/dev/null || fail "42 was released: $(va list)"
[ "$(va show 42 --json | jq -r .state)" = held ] || fail "42: $(va show 42)"
grep -q "reaper: releasing job 42" "$T/daemon.log" && fail "the reaper touched job 42"
[ "$(grep -c "reaper: releasing job 41" "$T/daemon.log")" = 1 ] || fail "the reaper released 41 more than once"

say "an explicit release of 42 still works"
[ "$(va release 42)" = released ] || fail "release 42"
va check >/dev/null || fail "check: $(va check)"
pass
