#!/bin/bash
# The job's user gets into their cluster (lib/access.h): a real Debian 12
# cluster (make image) of an unprivileged user, 2 nodes, one guest each,
# through real Slurm, vlanallocd, Open vSwitch and libvirt + QEMU. From the
# batch script's node, as that user: `vcluster ssh` runs commands on both
# guests (their names back; CMD's exit status passes through), `ssh -F
# <(vcluster ssh-config)` and scp work, `vcluster hostfile` lists both
# guests with their cpus. Another unprivileged user on the same host gets
# nowhere: a TCP connect from the host to a guest's port 22 fails (the host
# has no route to the VLAN), the access socket refuses them (EACCES), they
# cannot read the key, `vcluster ssh` says why. `vcluster console` shows
# the boot log to the owner only, also of a guest on the other node (srun).
# The user's batch script runs an MPI program (mpicc on the host, in the
# job's directory, shared with the guests) through `vcluster ssh -- mpirun
# --hostfile /etc/vcluster/hostfile`: the job's output shows a rank on each
# guest, and the file rank 0 wrote is the user's on the host.
# From a "login node" (a plain shell, no job step): the owner's `vcluster
# ssh -j JOB` works through srun, another user and a job that ended are
# refused with our message. A busybox cluster beside
# it cannot reach the first's guests from its own access namespace (by
# packets, with a control). After scancel (the user's job) and the time
# limit (the busybox job) nothing is left (namespaces,
# ports, forwarders, socket dirs), checked before cleanup; a node prolog
# that fails right after making the access path leaves nothing of it.
#
# One slow cluster serves every assertion. Like test_cloudinit, it runs in
# the hardened pass only unless VC_SLOW_TWICE=1.
. "$(dirname "$0")/lib.sh"
skip_real_image_in_san
. "$(dirname "$0")/ovs.sh"
. "$(dirname "$0")/libvirt.sh"
. "$(dirname "$0")/slurm.sh"
. "$(dirname "$0")/guests.sh"
for t in ssh scp useradd userdel setpriv cloud-localds perl mpicc; do
        command -v "$t" >/dev/null || fail "$t is needed (scripts/deps)"
done
vc_setup
IMG=$("$ROOT/scripts/debian-image") || fail "make image failed"

say "two users who are not root"
TU=vca$$ TU2=vcb$$
test_user "$TU" "$T/home"
test_user "$TU2" "$T/home2"
TU_UID=$(id -u "$TU") TU_GID=$(id -g "$TU")
as_tu() { as_user "$TU" "$@"; }
as_tu2() { as_user "$TU2" "$@"; }
# on_node NODE WHO CMD…: CMD as WHO (as_tu, as_tu2) as a job step on NODE would see it
on_node() {
        local node=$1 who=$2
        shift 2
        "$who" env SLURMD_NODENAME="$node" "$@"
}

GUEST_NODES=a[003-016]
guest_conf_lines() {
        grep '^ImageName=' "$IMG/image.conf"
        echo "NodeName=a[001-002] OvsBridge=$GUEST_BR OvsDb=$OVS_DB OvsNetns=$OVS_NS Libvirt=$LIBVIRT_URI DomainType=qemu BootTimeout=900"
}
start_guest_cluster a001 a002 a003
chmod 0711 "$T/state" # the users' keys and sockets are below it (vcluster.conf(5): StateDir)

# access_left JOB: what of JOB's access path is on this host: namespaces,
# OVS ports, forwarders, socket dirs (one per line, nothing when none)
access_left() {
        local j=$1
        ip netns list | awk '{print $1}' | grep -E "^vcl-$j-.*-access\$" | sed 's/^/namespace /' || true
        vsctl --bare --columns=name find Port "external_ids:vcluster-job=$j" | grep '^va' | sed 's/^/OVS port /' || true
        ip -n "$OVS_NS" -o link show | grep -oE " va[0-9a-f]+\.[0-9a-f]+@" | sed 's/^/veth /' || true
        pgrep -af -- "vcluster-forward $T/state/access/[^ ]*/$j( |\$)" | sed 's/^/forwarder /' || true
        find "$T/state/access" -mindepth 2 -maxdepth 2 -name "$j" 2>/dev/null | sed 's/^/dir /' || true
}
access_leak_check() {
        local j left
        for j in "${VC_JOBS[@]}"; do
                left=$(access_left "$j")
                [ -z "$left" ] || leak "job $j's access path: $(tr '\n' ';' <<<"$left")"
        done
}
LEAK_HOOKS+=(access_leak_check)

say "a node prolog that fails right after making the access path leaves nothing of it"
hook_failpoints "node.access=error"
JF=$(sbatch --parsable -N1 -w a003 --vcluster=image=tiny,mem=128M -o /dev/null --wrap true)
VC_JOBS+=("$JF")
for _ in $(seq 300); do scontrol show job "$JF" | grep -qE "JobState=PENDING.*Reason=[a-zA-Z_]*[Hh]eld" && break; sleep 0.2; done
hook_failpoints ""
grep -q "job $JF on a003: .*failpoint node.access" "$HOOK_LOG" || fail "the failpoint did not fail the prolog: $(grep "job $JF" "$HOOK_LOG" | tail -8)"
grep -q "job $JF on a003: access path made" "$HOOK_LOG" && fail "the failing stage was reported made"
wait_released "$JF"
left=$(access_left "$JF")
[ -z "$left" ] || fail "the failed prolog left: $left"
[ ! -e "$T/state/nodes/a003/$JF" ] || fail "node state of $JF left: $(ls -la "$T/state/nodes/a003/$JF")"
scancel "$JF"
wait_job_gone "$JF"
scontrol update nodename=a003 state=resume

say "the user's Debian cluster (2 nodes, a guest each) and a busybox cluster beside it"
t0=$(date +%s)
# The user's batch script is what a user writes: wait for the cluster, run
# an MPI program (built here with mpicc, in the job's directory, which every
# guest mounts at the same path) across its guests through vcluster ssh.
JD=$T/home/job
mkdir "$JD"
mpicc -O2 -o "$JD/mpi_hello" "$(dirname "$0")/mpi_hello.c" || fail "mpicc"
cat >"$JD/job.sh" <<EOS
#!/bin/bash
$BIN/vcluster wait "\$SLURM_JOB_ID" --timeout 900 || { echo "vcluster wait failed"; exit 3; }
$BIN/vcluster ssh -- "cd \$PWD && timeout 300 mpirun --hostfile /etc/vcluster/hostfile ./mpi_hello"
echo "mpirun exit \$?"
echo batch-done
exec sleep 900
EOS
chown -R "$TU:$TU" "$JD"
J=$(as_tu sbatch --parsable -N2 -n2 -w a001,a002 -D "$JD" -o "$JD/out" \
        --vcluster=image=debian12,name=deb,mem=1G,cpus=1,subnet=10.0.1.0/24 "$JD/job.sh") || fail "sbatch: $J"
J2=$(sbatch --parsable -N2 -n2 -w a001,a002 --vcluster=image=tiny,name=red,mem=128M,subnet=10.0.0.0/16 \
        -o /dev/null --wrap 'sleep 900')
VC_JOBS+=("$J" "$J2")
"$BIN/vcluster" wait "$J2" --timeout 240 >"$T/w2" || fail "vcluster wait $J2: $(cat "$T/w2")"
"$BIN/vcluster" wait "$J" --timeout 900 >"$T/w1" || fail "vcluster wait $J: $(cat "$T/w1"); $(tail -5 "$HOOK_LOG")"
echo "  (job start to every guest up: $(($(date +%s) - t0)) s)"

say "the batch script ran MPI across both guests through vcluster ssh; the output and the file it wrote are the user's"
for _ in $(seq 600); do grep -q '^batch-done' "$JD/out" 2>/dev/null && break; sleep 0.5; done
grep -q '^batch-done' "$JD/out" || fail "the batch script did not finish its MPI run: $(tail -20 "$JD/out" 2>&1)"
grep -qx 'mpirun exit 0' "$JD/out" || fail "mpirun failed in the batch script: $(cat "$JD/out")"
for r in "rank 0 of 2 on deb-1-1 (allreduce 2)" "rank 1 of 2 on deb-1-2 (allreduce 2)"; do
        grep -qxF "$r" "$JD/out" || fail "no '$r' in the job's output: $(cat "$JD/out")"
done
[ "$(cat "$JD/mpi-out" 2>&1)" = "2 ranks" ] || fail "$JD/mpi-out: $(cat "$JD/mpi-out" 2>&1)"
[ "$(stat -c '%u:%g' "$JD/mpi-out" "$JD/out" | sort -u)" = "$TU_UID:$TU_GID" ] ||
        fail "the job's files are not the user's: $(stat -c '%n %u:%g' "$JD/mpi-out" "$JD/out")"

say "the access path on each node: the user's 0700 dir, a socket per guest, a forwarder running as the user"
for n in a001 a002; do
        d=$T/state/access/$n/$J
        [ "$(stat -c '%U %a' "$d")" = "$TU 700" ] || fail "$d: $(stat -c '%U %a' "$d" 2>&1)"
        for g in deb-1-1 deb-1-2; do [ -S "$d/$g.sock" ] || fail "no socket $d/$g.sock: $(ls -la "$d")"; done
        # the listener is the oldest; a connection still closing has a forked
        # child of it, which must be the user's too (one gone meanwhile: skipped)
        pid=$(pgrep -o -f -- "vcluster-forward $d ") || fail "no forwarder for $d"
        [ "$(ps -o user= -p "$pid")" = "$TU" ] || fail "the forwarder runs as $(ps -o user= -p "$pid")"
        for c in $(pgrep -f -- "vcluster-forward $d "); do
                u=$(ps -o user= -p "$c" || true)
                [ -z "$u" ] || [ "$u" = "$TU" ] || fail "a forwarder of $d (pid $c) runs as $u"
        done
        [ "$(readlink /proc/"$pid"/ns/net)" = "$(ip netns exec "vcl-$J-$n-access" readlink /proc/self/ns/net)" ] ||
                fail "the forwarder of $n is not in vcl-$J-$n-access"
done

say "vcluster ssh from the batch script's node, as the user: both guests, by name"
for g in deb-1-1 deb-1-2; do
        out=$(on_node a001 as_tu "$BIN/vcluster" ssh -j "$J" "$g" -- hostname 2>&1) || fail "vcluster ssh $g: $out"
        [ "$out" = "$g" ] || fail "vcluster ssh $g hostname: $out"
done
out=$(on_node a002 as_tu env SLURM_JOB_ID="$J" "$BIN/vcluster" ssh -- id -un 2>&1) || fail "vcluster ssh (frontend): $out"
[ "$out" = "$TU" ] || fail "vcluster ssh -- id -un on the frontend: $out"
rc=0
on_node a001 as_tu "$BIN/vcluster" ssh -j "$J" deb-1-2 -- false || rc=$?
[ "$rc" = 1 ] || fail "vcluster ssh -- false: exit $rc, not 1"
rc=0
on_node a001 as_tu "$BIN/vcluster" ssh -j "$J" deb-1-2 -- 'exit 7' || rc=$?
[ "$rc" = 7 ] || fail "vcluster ssh -- exit 7: exit $rc"

say "plain OpenSSH with vcluster ssh-config: ssh -F and scp"
on_node a001 as_tu "$BIN/vcluster" ssh-config "$J" >"$T/home/cfg" || fail "vcluster ssh-config: $(cat "$T/home/cfg")"
[ "$(grep -c '^Host ' "$T/home/cfg")" = 2 ] || fail "ssh-config: $(cat "$T/home/cfg")"
out=$(on_node a001 as_tu ssh -F "$T/home/cfg" deb-1-2 hostname 2>&1) || fail "ssh -F: $out"
[ "$out" = deb-1-2 ] || fail "ssh -F cfg deb-1-2 hostname: $out"
echo "payload-$$" >"$T/home/payload"
chown "$TU:$TU" "$T/home/payload"
on_node a001 as_tu scp -q -F "$T/home/cfg" "$T/home/payload" deb-1-1:/tmp/payload || fail "scp to deb-1-1"
out=$(on_node a001 as_tu "$BIN/vcluster" ssh -j "$J" deb-1-1 -- cat /tmp/payload 2>&1)
[ "$out" = "payload-$$" ] || fail "the copied file on deb-1-1: $out"

say "vcluster hostfile: both guests with their cpus"
out=$(on_node a002 as_tu "$BIN/vcluster" hostfile "$J" 2>&1) || fail "vcluster hostfile: $out"
[ "$out" = "deb-1-1 slots=1
deb-1-2 slots=1" ] || fail "vcluster hostfile: $out"

say "another user on the same host gets nowhere"
# the control: the access namespace itself reaches the guest's sshd
ip netns exec "vcl-$J-a001-access" timeout 10 bash -c 'exec 3<>/dev/tcp/10.0.1.1/22' ||
        fail "control: the access namespace cannot reach deb-1-1:22"
# From the host, 10.0.1.1 is wherever the host's own routes lead (here a
# default route whose far end may accept any TCP connect): what answers
# must not be the guest, whose host key is in the cluster's known_hosts.
cp "$T/state/keys/a001/$J/known_hosts" "$T/home2/kh"
chown "$TU2" "$T/home2/kh"
out=$(as_tu2 timeout 30 ssh -o UserKnownHostsFile="$T/home2/kh" -o StrictHostKeyChecking=yes -o BatchMode=yes \
        -o ConnectTimeout=10 -o HostKeyAlias=deb-1-1 "$TU2@10.0.1.1" true 2>&1) && fail "$TU2 got into deb-1-1 from the host: $out"
if grep -q "Permission denied (publickey" <<<"$out"; then fail "$TU2 reached deb-1-1's sshd from the host: $out"; fi
sock=$T/state/access/a001/$J/deb-1-1.sock
out=$(as_tu2 perl -MIO::Socket::UNIX -e 'IO::Socket::UNIX->new(Peer => $ARGV[0]) or die "$!\n"; print "connected\n"' \
        "$sock" 2>&1) && fail "$TU2 connected to $sock: $out"
grep -q "Permission denied" <<<"$out" || fail "$TU2's connect to $sock: $out"
if as_tu2 cat "$T/state/keys/a001/$J/id_ed25519" >/dev/null 2>&1; then fail "$TU2 can read the job's key"; fi
out=$(on_node a001 as_tu2 "$BIN/vcluster" ssh -j "$J" deb-1-1 -- hostname 2>&1) && fail "$TU2 got in: $out"
grep -qF "job $J: its access path on a001 is not yours" <<<"$out" || fail "$TU2's vcluster ssh: $out"

say "vcluster console: the boot log, for the owner only; a guest on another node through srun"
out=$(on_node a001 as_tu "$BIN/vcluster" console -j "$J" deb-1-1 2>&1) || fail "vcluster console deb-1-1: $(tail -3 <<<"$out")"
grep -q "Linux version" <<<"$out" || fail "deb-1-1's console has no boot log: $(head -c 600 <<<"$out")"
out=$(on_node a001 as_tu "$BIN/vcluster" console -j "$J" deb-1-2 2>&1) || fail "vcluster console deb-1-2 (on a002): $(tail -3 <<<"$out")"
grep -q "Linux version" <<<"$out" || fail "deb-1-2's console has no boot log: $(head -c 600 <<<"$out")"
if as_tu2 cat "$T/state/access/a001/$J/deb-1-1.console" >/dev/null 2>&1; then fail "$TU2 read deb-1-1's console"; fi
if as_tu2 cat "$T/state/nodes/a001/$J/deb-1-1.console" >/dev/null 2>&1; then fail "$TU2 read deb-1-1's console log"; fi
out=$(on_node a001 as_tu2 "$BIN/vcluster" console -j "$J" deb-1-1 2>&1) && fail "$TU2 read the console: $(head -c 300 <<<"$out")"
grep -qF "job $J: its access path on a001 is not yours" <<<"$out" || fail "$TU2's vcluster console: $out"

say "from a login node (a plain shell here): the owner gets in through srun, another user is refused"
out=$(as_tu "$BIN/vcluster" ssh -j "$J" deb-1-2 -- hostname 2>&1) || fail "login node: vcluster ssh deb-1-2: $out"
[ "$out" = deb-1-2 ] || fail "login node: vcluster ssh deb-1-2 hostname: $(od -c <<<"$out" | head -5)"
rc=0
as_tu "$BIN/vcluster" ssh -j "$J" -- 'exit 5' 2>/dev/null || rc=$?
[ "$rc" = 5 ] || fail "login node: vcluster ssh -- exit 5: exit $rc"
[ -z "$(find /tmp -maxdepth 1 -name "vcluster-$J-*" 2>/dev/null)" ] || fail "the fetched key's dir was left in /tmp"
out=$(as_tu2 "$BIN/vcluster" ssh -j "$J" deb-1-1 -- hostname 2>&1) && fail "login node: $TU2 got in: $out"
grep -qF "job $J is not yours: only its user reaches its guests" <<<"$out" || fail "login node, $TU2: $out"
out=$(as_tu "$BIN/vcluster" console -j "$J" deb-1-1 2>&1) || fail "login node: vcluster console: $(tail -3 <<<"$out")"
grep -q "Linux version" <<<"$out" || fail "login node: deb-1-1's console: $(head -c 600 <<<"$out")"

say "the busybox cluster cannot reach the Debian cluster's guests from its own access path"
ip netns exec "vcl-$J2-a001-access" ping -c1 -W3 10.0.0.1 >"$T/control" 2>&1 ||
        fail "control: red's access namespace cannot ping red-1-1: $(cat "$T/control")"
if ip netns exec "vcl-$J2-a001-access" ping -c2 -W2 10.0.1.1 >/dev/null 2>&1; then fail "red's access path reached deb-1-1"; fi
if ip netns exec "vcl-$J2-a001-access" timeout 5 bash -c 'exec 3<>/dev/tcp/10.0.1.1/22' 2>/dev/null; then
        fail "red's access path connected to deb-1-1:22"
fi

say "the jobs end (the user's cancelled, the busybox one at its time limit): nothing of their access paths is left"
scancel "$J"
scontrol update JobId="$J2" TimeLimit=1 # it has run for minutes: its limit is reached at Slurm's next check
wait_job_gone "$J"
for _ in $(seq 600); do [ -z "$(squeue -h -j "$J2" 2>/dev/null)" ] && break; sleep 0.2; done
wait_job_gone "$J2"
scontrol show job "$J2" | grep -q "JobState=TIMEOUT" || fail "job $J2 did not end at its time limit: $(scontrol show job "$J2" | grep -o 'JobState=[A-Z_]*')"
wait_released "$J"
wait_released "$J2"
for j in "$J" "$J2"; do
        left=$(access_left "$j")
        [ -z "$left" ] || fail "after scancel, job $j left: $left"
done
out=$(on_node a001 as_tu "$BIN/vcluster" ssh -j "$J" deb-1-1 -- hostname 2>&1) && fail "ssh after the job: $out"
grep -qF "job $J: no access path on a001" <<<"$out" || fail "vcluster ssh after the job: $out"
out=$(as_tu "$BIN/vcluster" ssh -j "$J" deb-1-1 -- hostname 2>&1) && fail "login node, after the job: $out"
grep -qF "job $J is not running" <<<"$out" || fail "login node, vcluster ssh after the job: $out"
wait_domains_gone
guest_leak_check
pass
