#!/bin/bash
# Who may do what (server.h), with identities that come only from munge:
# an ordinary user may only see its own jobs, and cannot tell a job of
# another user from one that does not exist; an AdminGroup member may look at
# and drain everything but not acquire or release; root may do anything.
. "$(dirname "$0")/lib.sh"
vc_setup
start_munged
write_conf # SlurmUser=root AdminGroup=adm
start_daemon

ADM_GID=$(getent group adm | cut -d: -f3)
[ "$ADM_GID" = 4 ] || fail "expected group adm to be gid 4, got '$ADM_GID'"
command -v setpriv >/dev/null || fail "setpriv (util-linux) is needed"

# as UID GID CLI-ARGS…: the real CLI, run as another identity (no passwd entry needed).
as() {
        local u=$1 g=$2
        shift 2
        as_uid "$u" "$g" "$BIN/vlanalloc" -c "$CONF" "$@"
}
snapshot() { { va list --json; va ranges --json; va show 31 --json; } | jq -S -c .; }

say "root acquires job 31 for uid 12345"
plan=$(va acquire 31 --nodes 'a001,c001' --user 12345 --end 4102444800 --json)
[ "$(jq -r .uid <<<"$plan")" = 12345 ] || fail "owner: $plan"
before=$(snapshot)

say "an ordinary user (uid 12345) may do nothing but look at its own jobs"
for cmd in "acquire 32 --nodes a002" "acquire 31 --nodes a001,c001 --user 12345" "release 31" \
        "list" "ranges" "check" "drain a 150 --reason x" "undrain a 150"; do
        # shellcheck disable=SC2086
        expect_exit 2 as 12345 12345 $cmd
        expect_in "may not" "$ERR"
        expect_in "uid 12345" "$ERR"
done
grep -q "refused 'release' from uid 12345" "$T/daemon.log" || fail "refusal not logged"
[ "$before" = "$(snapshot)" ] || fail "a refused request changed the state"
expect_exit 1 va show 32 # the refused acquire left no trace at all

say "the owner can show its job"
out=$(as 12345 12345 show 31 --json) || fail "owner cannot show job 31"
[ "$(jq -r '.job, .uid, .state' <<<"$out" | tr '\n' ' ')" = "31 12345 held " ] || fail "owner's show: $out"
as 12345 12345 show 31 | grep -q '^31 ' || fail "owner's human show: $(as 12345 12345 show 31)"

say "another user cannot, and cannot tell it from a job that does not exist"
expect_exit 1 as 12346 12346 show 31
expect_in "no such job" "$ERR"
not_yours=$ERR
case "$not_yours" in *12345*) fail "the refusal leaks the owner: $not_yours" ;; esac
expect_exit 1 as 12345 12345 show 99999
expect_in "no such job" "$ERR"
missing=$ERR
norm() { sed 's/[0-9][0-9]*/N/g' <<<"$1"; }
[ "$(norm "$not_yours")" = "$(norm "$missing")" ] ||
        fail "'not yours' and 'does not exist' differ: '$not_yours' vs '$missing'"
# The same user with gid 12345 but a different uid is still not the owner.
expect_exit 1 as 12346 12345 show 31
expect_in "no such job" "$ERR"

say "an AdminGroup member (gid adm) may look and drain, not acquire or release"
as 12347 4 list --json | jq -e '[.vlans[] | select(.job == 31)] | length == 2' >/dev/null ||
        fail "admin list: $(as 12347 4 list 2>&1)"
as 12347 4 ranges --json | jq -e '.sites | length == 3' >/dev/null || fail "admin ranges"
as 12347 4 check >/dev/null || fail "admin check: $(as 12347 4 check 2>&1)"
as 12347 4 show 31 --json | jq -e '.job == 31 and .uid == 12345' >/dev/null || fail "admin show 31"
as 12347 4 drain a 150 --reason "admin test" >/dev/null || fail "admin drain"
va list --json | jq -e '[.vlans[] | select(.site == "a" and .vlan == 150 and .drained)] | length == 1' \
        >/dev/null || fail "drain by admin not applied: $(va list)"
grep -q "uid 12347 drains site a VLAN 150" "$T/daemon.log" || fail "admin drain not logged with its uid"
as 12347 4 undrain a 150 >/dev/null || fail "admin undrain"
expect_exit 2 as 12347 4 acquire 33 --nodes a003
expect_in "may not acquire" "$ERR"
expect_exit 2 as 12347 4 release 31
expect_in "may not release" "$ERR"
expect_exit 1 va show 33
[ "$before" = "$(snapshot)" ] || fail "the admin's session changed the holds"

say "the admin group is a gid, not a uid: uid 4 with another gid is an ordinary user"
expect_exit 2 as 4 12345 list
expect_in "may not" "$ERR"

say "root releases"
va release 31 >/dev/null
expect_exit 1 as 12346 12346 show 31
expect_in "no such job" "$ERR"
pass
