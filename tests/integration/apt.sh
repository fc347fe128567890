# shellcheck shell=bash
# apt.sh — the seeds' own workload for tests and benchmarks, sourced after
# lib.sh: Debian guests installing the same packages with apt-get from a
# flat repository served over HTTP from the other site.
#
#   APT_WORKLOAD               the packages the workload installs
#   APT_WORKLOAD_DEPS          what they need that the Debian image lacks
#   apt_repo DIR PKG…          a flat Debian repository in DIR (Packages,
#                              Packages.gz and the .debs) of each PKG's
#                              newest .deb in this machine's apt archive,
#                              apt-get download'ed when it is not there;
#                              APT_DEBS is the bytes of the .debs
#   apt_install_cmd URL PKG…   the shell a guest runs (as root) to install
#                              PKGs from the flat repository at URL and from
#                              nothing else; prints apt's last lines on failure
#   apt_reset_cmd              the shell that purges what the last install
#                              added and empties apt's lists and archive, so
#                              the next install fetches everything again
APT_WORKLOAD="tcpdump iperf3 ethtool"
APT_WORKLOAD_DEPS="libpcap0.8 libiperf0 libsctp1 libmnl0 libdbus-1-3"

apt_repo() {
        local dir=$1 p f arch
        shift
        arch=$(dpkg --print-architecture)
        mkdir -p "$dir"
        for p; do
                f=$(ls -v /var/cache/apt/archives/"${p}"_*_{"$arch",all}.deb 2>/dev/null | tail -1)
                if [ -n "$f" ]; then
                        # the archive's names carry the epoch as "1%3a"; a mirror's pool does not
                        cp "$f" "$dir/$(basename "$f" | sed 's/_[0-9]*%3a/_/')"
                else
                        (cd "$dir" && apt-get download -q "$p" >>"$T/apt-download.log" 2>&1) ||
                                fail "apt_repo: no .deb of $p in /var/cache/apt/archives and apt-get download $p failed: $(tail -2 "$T/apt-download.log")"
                fi
        done
        (cd "$dir" && dpkg-scanpackages -m . >Packages 2>>"$T/apt-download.log" && gzip -kf Packages) ||
                fail "apt_repo: dpkg-scanpackages failed in $dir: $(tail -2 "$T/apt-download.log")"
        APT_DEBS=$(cat "$dir"/*.deb | wc -c)
}

apt_install_cmd() {
        local url=$1
        shift
        cat <<EOS
set -e
dpkg-query -W -f '\${Package}\n' | sort >/var/tmp/vc-apt.before
echo 'deb [trusted=yes] $url ./' >/etc/apt/vc-apt.list
o='-o Dir::Etc::SourceList=/etc/apt/vc-apt.list -o Dir::Etc::SourceParts=/nonexistent -o Acquire::Languages=none -o APT::Install-Recommends=false'
export DEBIAN_FRONTEND=noninteractive
apt-get \$o -q update >/var/tmp/vc-apt.log 2>&1 || { cat /var/tmp/vc-apt.log; exit 1; }
apt-get \$o -q -y install $* >>/var/tmp/vc-apt.log 2>&1 || { grep -v '^Reading\|^Building' /var/tmp/vc-apt.log; ls -l /var/lib/apt/lists; exit 1; }
EOS
}

apt_reset_cmd() {
        cat <<'EOS'
set -e
export DEBIAN_FRONTEND=noninteractive
dpkg-query -W -f '${Package}\n' | sort | comm -13 /var/tmp/vc-apt.before - | xargs -r apt-get -q -y purge >/var/tmp/vc-apt.log 2>&1 ||
        { tail -5 /var/tmp/vc-apt.log; exit 1; }
apt-get clean
rm -rf /var/lib/apt/lists/*
EOS
}
