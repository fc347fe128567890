#!/bin/bash
# A real Debian 12 image (make image) configuring itself with cloud-init, end
# to end through real Slurm, vlanallocd, Open vSwitch and libvirt + QEMU. A
# user who is not root submits a 2-node job, one guest per node, with their
# own user-data; a busybox cluster shares the nodes. Then, by ssh as that
# user from a probe namespace on the job's VLAN, with the job's key and the
# known_hosts the node made (strict host key checking), inside each guest:
# the host name; the user's name, uid, gid and group as on the host; the
# address (no default route, MTU 1500 on a one-site job); /etc/hosts;
# passwordless sudo; the user-data ran; guests reach each other by name
# (ping, and ssh with the job's key and known_hosts, as MPI would); the
# user's own key works too; the other cluster is unreachable. No private key
# is in any argv, log, plan, journal or `vcluster status --json`; the key
# files are 0600 and owned right; after the job nothing is left (domains,
# seeds, keys, the controller's SSH seed). Refused at submit, with nothing
# queued: user-data that is unreadable, over 64 KiB, or not cloud-config.
# The job's directory (its -D, the user's) is mounted in both guests at the
# same path: what the user writes there, and what root inside a guest
# writes, is the user's on the host; every QEMU of the job runs as the user
# (/proc/PID/status); the base image's owner and mode are as before;
# /etc/vcluster/hostfile lists both guests, and an MPI program built on the
# host with mpicc (mpi_hello.c) runs one rank per guest with mpirun
# --hostfile from the frontend. A share=no job's guest (the stuck one) runs
# without it; a job whose directory is not on its node fails at prolog
# saying so, leaving nothing.
#
# One slow cluster serves every assertion. It runs in the hardened pass of
# `make check` only (the sanitized pass runs the same code in the unit
# tests and the busybox tests): under TCG the guests take minutes to boot.
. "$(dirname "$0")/lib.sh"
skip_real_image_in_san
. "$(dirname "$0")/ovs.sh"
. "$(dirname "$0")/libvirt.sh"
. "$(dirname "$0")/slurm.sh"
. "$(dirname "$0")/guests.sh"
for t in ssh ssh-keygen useradd userdel setpriv cloud-localds mpicc; do
        command -v "$t" >/dev/null || fail "$t is needed (scripts/deps)"
done
vc_setup
IMG=$("$ROOT/scripts/debian-image") || fail "make image failed"

say "a user who is not root, with a key of their own"
TU=vct$$
test_user "$TU" "$T/home" 0700
TU_UID=$(id -u "$TU") TU_GID=$(id -g "$TU")
as_tu() { as_user "$TU" "$@"; }
mkdir -p "$T/home/.ssh"
ssh-keygen -q -t ed25519 -N '' -C "own-$TU" -f "$T/home/.ssh/id_ed25519"
chown -R "$TU:$TU" "$T/home"

# the job's directory: the user's, with an MPI program built on the host
JD=$T/home/job
mkdir "$JD"
mpicc -O2 -o "$JD/mpi_hello" "$(dirname "$0")/mpi_hello.c" || fail "mpicc"
chown -R "$TU:$TU" "$JD"

# The default NodeName line (guests.sh) covers other nodes: these two boot
# a real image and get the time it needs under TCG; a003's guest is to
# fail, and gets 60 s.
GUEST_NODES=a[004-016]
guest_conf_lines() {
        grep '^ImageName=' "$IMG/image.conf"
        echo "NodeName=a[001-002] OvsBridge=$GUEST_BR OvsDb=$OVS_DB OvsNetns=$OVS_NS Libvirt=$LIBVIRT_URI DomainType=qemu BootTimeout=900"
        echo "NodeName=a003 OvsBridge=$GUEST_BR OvsDb=$OVS_DB OvsNetns=$OVS_NS Libvirt=$LIBVIRT_URI DomainType=qemu BootTimeout=60"
}
start_guest_cluster a001 a002 a003
chmod 0711 "$T/state" # the users' keys are below it (vcluster.conf(5): StateDir)
# the base image as it is before any job: QEMU as the user must not change it
base_files() { stat -c '%n %u:%g %a' "$IMG/disk.qcow2" "$IMG/vmlinuz" "$IMG/initrd.img"; }
base_files >"$T/base.before"

say "bad user-data is refused at submit, nothing queued"
submit_as_tu() { as_tu sbatch --parsable -N2 -n2 -w a001,a002 -o /dev/null -D "$JD" --vcluster="$1" --wrap 'sleep 900'; }
printf 'hello: world\n' >"$T/home/plain.yaml"
head -c 70000 /dev/zero | tr '\0' x | sed '1s/^/#cloud-config\n# /' >"$T/home/big.yaml"
printf '#cloud-config\n' >"$T/home/secret.yaml"
chown "$TU:$TU" "$T/home/plain.yaml" "$T/home/big.yaml" "$T/home/secret.yaml"
chmod 0 "$T/home/secret.yaml"
for c in "plain.yaml|neither cloud-config" "big.yaml|more than the 64 KiB" "secret.yaml|cannot read it: Permission denied" \
        "none.yaml|cannot read it: No such file"; do
        f=${c%%|*} want=${c#*|}
        if submit_as_tu "image=debian12,user-data=$T/home/$f" >"$T/out" 2>&1; then fail "user-data=$f accepted: $(cat "$T/out")"; fi
        grep -F "user-data=$T/home/$f: " "$T/out" | grep -qF "$want" || fail "user-data=$f: $(cat "$T/out")"
done
[ -z "$(squeue -h)" ] || fail "something was queued: $(squeue)"

say "the user's job: 2 nodes, one Debian guest each, with their user-data; a busybox cluster beside it"
printf '#cloud-config\nruncmd:\n  - [sh, -c, "echo ran-as-$(id -u) >/var/tmp/vc-user-data"]\n' >"$T/home/ud.yaml"
chown "$TU:$TU" "$T/home/ud.yaml"
t0=$(date +%s)
J=$(submit_as_tu "image=debian12,name=deb,mem=1G,user-data=$T/home/ud.yaml") || fail "sbatch: $J"
J2=$(sbatch --parsable -N2 -n2 -w a001,a002 --vcluster=image=tiny,name=red,mem=128M,subnet=10.0.0.128/25 \
        -o /dev/null --wrap 'sleep 900')
# and a guest whose cloud-init never reports up: its user-data blocks the first stage (share=no: its
# guest runs without the job's directory)
printf '#cloud-config\nbootcmd:\n  - [sleep, "3600"]\n' >"$T/home/stuck.yaml"
chown "$TU:$TU" "$T/home/stuck.yaml"
J3=$(as_tu sbatch --parsable -N1 -w a003 -o /dev/null -D "$JD" \
        --vcluster="image=debian12,name=stuck,mem=1G,share=no,user-data=$T/home/stuck.yaml" --wrap 'sleep 900') ||
        fail "sbatch: $J3"

say "a share=no job's guest runs as the user, without the job's directory"
for _ in $(seq 120); do [ "$(vvirsh domstate "vcluster-$J3-stuck-1-1" 2>/dev/null)" = running ] && break; sleep 0.5; done
[ "$(vvirsh domstate "vcluster-$J3-stuck-1-1" 2>&1)" = running ] || fail "$J3's guest is not running: $(grep "$J3" "$HOOK_LOG" | tail -3)"
x=$(vvirsh dumpxml "vcluster-$J3-stuck-1-1")
! grep -q "<filesystem" <<<"$x" || fail "a share=no guest has a filesystem: $x"
grep -q "<label>+$TU_UID:+$TU_GID</label>" <<<"$x" || fail "a share=no guest does not run as the user: $x"
! grep -q "job $J3 on a003: the job's directory" "$HOOK_LOG" || fail "share=no shared the directory"

say "no private key in any process's argv while the guests boot"
for _ in $(seq 60); do
        [ -f "$T/state/keys/a001/$J/id_ed25519" ] && break
        sleep 1
done
KD=$T/state/keys/a001/$J
[ -f "$KD/id_ed25519" ] || fail "no user key on a001: $(tail -5 "$HOOK_LOG")"
BODY=$(sed -n 2p "$KD/id_ed25519")
# patterns from a file: grep's own argv must not hold them
printf '%s\nPRIVATE KEY\n' "$BODY" >"$T/secret.pat"
for _ in $(seq 20); do
        if grep -lasF -f "$T/secret.pat" /proc/[0-9]*/cmdline >"$T/argv" 2>/dev/null; then
                fail "a private key in argv: $(cat "$T/argv")"
        fi
        sleep 0.5
done
"$BIN/vcluster" wait "$J" --timeout 900 >"$T/w1" || fail "vcluster wait $J: $(cat "$T/w1"); $(tail -5 "$HOOK_LOG")"
echo "  (job start to every guest up: $(($(date +%s) - t0)) s)"
"$BIN/vcluster" wait "$J2" --timeout 240 >"$T/w2" || fail "vcluster wait $J2: $(cat "$T/w2")"

VLAN=$(va show "$J" --json | jq '.sites[0].vlan')
ovs_host probe 10.0.0.250 "$GUEST_BR" "pr$$"
vsctl set Port "pr$$" tag="$VLAN"
# gssh IP CMD: CMD in the guest at IP, as the user, with the job's key and known_hosts, strict checking
gssh() {
        local ip=$1
        shift
        ip netns exec "${NS_PREFIX}probe" setpriv --reuid="$TU_UID" --regid="$TU_GID" --init-groups env HOME="$T/home" \
                ssh -i "$KD/id_ed25519" -o UserKnownHostsFile="$KD/known_hosts" -o StrictHostKeyChecking=yes \
                -o BatchMode=yes -o ConnectTimeout=20 -o IdentitiesOnly=yes -o ServerAliveInterval=10 \
                -o ServerAliveCountMax=3 "$TU@$ip" "$@"
}

say "the other cluster is out of reach, while both are up"
# the control first (red-1-1 reaches red-1-2 on its VLAN), then the probe
# from deb-1-1 at that same guest, then red-1-2 is still running
ok=""
for _ in 1 2 3; do gexec a001 "$J2" red-1-1 ping -c1 -W3 10.0.0.130 >"$T/control" 2>&1 && ok=1 && break; done
[ -n "$ok" ] || fail "red-1-1 cannot ping red-1-2 (control): $(cat "$T/control"); domains: $(vvirsh list --all | tr '\n' ';')"
if gssh 10.0.0.1 'ping -c2 -W2 10.0.0.130' >/dev/null 2>&1; then fail "deb-1-1 reached red-1-2"; fi
[ "$(vvirsh domstate "vcluster-$J2-red-1-2")" = running ] || fail "red-1-2 stopped: the probe proved nothing"


say "the guest that never reports up fails within BootTimeout, quoting its console; a003 is left clean"
for _ in $(seq 120); do grep -q "job $J3 on a003: .*did not report up" "$HOOK_LOG" && break; sleep 1; done
grep -q "job $J3 on a003: guest stuck-1-1 did not report up within 60s; its console (.*) ends: ." "$HOOK_LOG" ||
        fail "no BootTimeout failure for $J3: $(grep "$J3" "$HOOK_LOG" | tail -3)"
scancel "$J3"
wait_job_gone "$J3"
[ -z "$(find "$T/state/nodes/a003" -mindepth 1 2>/dev/null)" ] || fail "a003 kept state: $(find "$T/state/nodes/a003")"
[ -z "$(domains | grep -- "-$J3-" || true)" ] || fail "the stuck domain is left: $(domains)"

say "the keys on the nodes: the user's, 0600; the seeds the user's (QEMU's), 0600"
for n in a001 a002; do
        d=$T/state/keys/$n/$J
        [ "$(stat -c '%U %a' "$d")" = "$TU 700" ] || fail "$d: $(stat -c '%U %a' "$d")"
        [ "$(stat -c '%U:%G %a' "$d/id_ed25519")" = "$TU:$TU 600" ] || fail "$d/id_ed25519: $(stat -c '%U:%G %a' "$d/id_ed25519")"
        as_tu cat "$d/id_ed25519" >/dev/null || fail "$TU cannot read $d/id_ed25519"
        s=$T/state/nodes/$n/$J/deb-1-${n#a00}.seed
        # QEMU, the user's, opens it (it holds the user's own key and their guests' host keys)
        [ "$(stat -c '%U %a' "$s")" = "$TU 600" ] || fail "$s: $(stat -c '%U %a' "$s" 2>&1)"
done
cmp -s "$T/state/keys/a001/$J/id_ed25519" "$T/state/keys/a002/$J/id_ed25519" || fail "the nodes derived different job keys"
if as_uid 65534 65534 cat "$KD/id_ed25519" >/dev/null 2>&1; then fail "another user can read the job's key"; fi

say "no private key in a log, a plan, a journal or vcluster status --json"
"$BIN/vcluster" status "$J" --json >"$T/status.json"
for f in "$HOOK_LOG" "$T/daemon.log" "$T/status.json" "$T/state/nodes/a001/$J/plan.json" "$T/state/nodes/a001/$J/journal" \
        "$T/slurm/log/slurmctld.log" "$T/slurm/log/slurmd-a001.log"; do
        if grep -qF -f "$T/secret.pat" "$f"; then fail "a private key in $f"; fi
done

say "inside each guest: name, user, address, /etc/hosts, sudo, user-data, peers by name"
for k in 1 2; do
        name=deb-1-$k ip=10.0.0.$k peer=deb-1-$((3 - k))
        out=$(gssh "$ip" 'hostname; id -un; id -u; id -g; id -gn; ip -o -4 addr show scope global; ip route show default;
                ip -o link show | grep -v " lo:" | grep -o "mtu [0-9]*"; cat /etc/hosts; cat /var/tmp/vc-user-data;
                sudo -n true && echo sudo-ok' 2>&1) || fail "ssh $TU@$name: $out"
        expect_in() { grep -qF -- "$1" <<<"$out" || fail "$name: no '$1' in: $out"; }
        [ "$(sed -n 1,5p <<<"$out" | tr '\n' ' ')" = "$name $TU $TU_UID $TU_GID $TU " ] || fail "$name: $out"
        expect_in "inet $ip/24"
        ! grep -q '^default' <<<"$out" || fail "$name has a default route: $out"
        expect_in "mtu 1500"
        expect_in "10.0.0.1	deb-1-1"
        expect_in "10.0.0.2	deb-1-2"
        expect_in "ran-as-0"
        expect_in "sudo-ok"
        gssh "$ip" "ping -c1 -W5 $peer >/dev/null && ssh -o BatchMode=yes -o StrictHostKeyChecking=yes $peer hostname" \
                >"$T/peer" 2>&1 || fail "$name cannot reach $peer by name: $(cat "$T/peer")"
        [ "$(cat "$T/peer")" = "$peer" ] || fail "$name → $peer: $(cat "$T/peer")"
done

say "the user's own key works too"
ip netns exec "${NS_PREFIX}probe" setpriv --reuid="$TU_UID" --regid="$TU_GID" --init-groups env HOME="$T/home" \
        ssh -i "$T/home/.ssh/id_ed25519" -o UserKnownHostsFile="$KD/known_hosts" -o StrictHostKeyChecking=yes \
        -o BatchMode=yes -o IdentitiesOnly=yes "$TU@10.0.0.1" true || fail "the user's own key was refused"

say "the job's directory in both guests, the user's on the host whoever writes it"
for k in 1 2; do
        out=$(gssh "10.0.0.$k" "mountpoint -q '$JD' && stat -c '%u:%g' '$JD' && echo by-user >'$JD/user-$k' &&
                sudo -n sh -c 'echo by-root >\"\$1\"' sh '$JD/root-$k' && cat '$JD/user-$k' '$JD/root-$k'" 2>&1) ||
                fail "deb-1-$k: the share: $out"
        [ "$(tr '\n' ' ' <<<"$out")" = "$TU_UID:$TU_GID by-user by-root " ] || fail "deb-1-$k: $out"
        for f in "user-$k" "root-$k"; do
                [ "$(stat -c '%u:%g' "$JD/$f")" = "$TU_UID:$TU_GID" ] || fail "$JD/$f on the host: $(stat -c '%u:%g' "$JD/$f")"
        done
done
grep -q "job $J on a001: the job's directory $JD shared with its guests" "$HOOK_LOG" || fail "no share line in the hook log"

say "every QEMU of the job runs as the user"
# (their pids from our libvirtd's own run dir: a concurrent run may have a job of the same id)
pids=""
for k in 1 2; do
        f=$LIBVIRT_DIR/run/libvirt/qemu/vcluster-$J-deb-1-$k.pid
        pids="$pids $(cat "$f")" || fail "no pid file for $J's deb-1-$k"
done
[ "$(wc -w <<<"$pids")" = 2 ] || fail "QEMU of $J: '$pids'"
for pid in $pids; do
        grep -q "guest=vcluster-$J-deb-" "/proc/$pid/cmdline" || fail "$pid is not $J's QEMU"
        ids=$(awk '/^Uid:|^Gid:/ {print $1, $2, $3, $4, $5}' "/proc/$pid/status" | tr '\n' ' ')
        [ "$ids" = "Uid: $TU_UID $TU_UID $TU_UID $TU_UID Gid: $TU_GID $TU_GID $TU_GID $TU_GID " ] || fail "QEMU $pid: $ids"
done

say "/etc/vcluster/hostfile lists both guests; MPI across them from the frontend"
for k in 1 2; do
        hf=$(gssh "10.0.0.$k" cat /etc/vcluster/hostfile 2>&1) || fail "deb-1-$k: $hf"
        [ "$hf" = "$(printf 'deb-1-1 slots=1\ndeb-1-2 slots=1')" ] || fail "deb-1-$k's hostfile: $hf"
done
t1=$(date +%s)
mpi=$(gssh 10.0.0.1 "cd '$JD' && timeout 300 mpirun --hostfile /etc/vcluster/hostfile ./mpi_hello" 2>&1) ||
        fail "mpirun: $mpi"
echo "  (mpirun across 2 guests: $(($(date +%s) - t1)) s)"
grep -qx "rank 0 of 2 on deb-1-1 (allreduce 2)" <<<"$mpi" || fail "no rank 0 on deb-1-1: $mpi"
grep -qx "rank 1 of 2 on deb-1-2 (allreduce 2)" <<<"$mpi" || fail "no rank 1 on deb-1-2: $mpi"
[ "$(cat "$JD/mpi-out")" = "2 ranks" ] || fail "mpi-out: $(cat "$JD/mpi-out" 2>&1)"
[ "$(stat -c '%u:%g' "$JD/mpi-out")" = "$TU_UID:$TU_GID" ] || fail "mpi-out is not the user's"

say "a job whose directory is not on its node fails at prolog saying so, leaving nothing"
scontrol update nodename=a003 state=resume 2>/dev/null || true # J3's failed prolog drained it
J4=$(as_tu sbatch --parsable -N1 -w a003 -o /dev/null -D "$T/home/gone" --vcluster="image=debian12,name=gone,mem=1G" \
        --wrap 'sleep 900') || fail "sbatch: $J4"
for _ in $(seq 120); do grep -q "job $J4 on a003: share: " "$HOOK_LOG" && break; sleep 1; done
grep -qF "job $J4 on a003: share: the job's directory $T/home/gone is not on node a003: No such file or directory (share=no runs the job without it)" \
        "$HOOK_LOG" || fail "no share failure for $J4: $(grep "$J4" "$HOOK_LOG" | tail -3)"
scancel "$J4"
wait_job_gone "$J4"
[ -z "$(find "$T/state/nodes/a003" -mindepth 1 2>/dev/null)" ] || fail "a003 kept state: $(find "$T/state/nodes/a003")"
[ -z "$(domains | grep -- "-$J4-" || true)" ] || fail "a domain of $J4 is left: $(domains)"
[ ! -e "$T/home/gone" ] || fail "$T/home/gone was made"

say "the jobs end: nothing of them is left"
vsctl del-port "pr$$"
scancel "$J" "$J2"
wait_job_gone "$J"
wait_job_gone "$J2"
wait_released "$J"
wait_released "$J2"
wait_domains_gone
guest_leak_check
left=$(find "$T/state/keys" -mindepth 2 2>/dev/null; ls "$T/state/secrets" 2>/dev/null | grep -F "$J." || true)
[ -z "$left" ] || fail "leak: $left"
left=$(find "$T/state/nodes" -mindepth 2 2>/dev/null; for p in $pids; do [ -d "/proc/$p" ] && echo "QEMU $p"; done || true)
[ -z "$left" ] || fail "leak: $left"
base_files >"$T/base.after"
cmp -s "$T/base.before" "$T/base.after" || fail "the base image changed: $(diff "$T/base.before" "$T/base.after")"
pass
