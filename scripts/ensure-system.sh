#!/usr/bin/env bash
# Installs the system parts natwatch's tests use when they are missing: the netfilter tools the lab and the
# kernel round-trip tests drive, Debian's chromium for the browser tests, and a PostgreSQL server for the
# storage tests. Needs root and apt (Debian/Ubuntu); anything already present is left as it is.
set -euo pipefail

need=()
command -v iptables-save >/dev/null || need+=(iptables)
command -v nft >/dev/null || need+=(nftables)
command -v conntrack >/dev/null || need+=(conntrack)
command -v nfacct >/dev/null || need+=(nfacct)
command -v ip >/dev/null || need+=(iproute2)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v pg_ctlcluster >/dev/null || need+=(postgresql)

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "natwatch tests need: ${need[*]} (install them, or run as root on Debian/Ubuntu)" >&2
    exit 1
  fi
  echo "installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# PostgreSQL: use the one on 127.0.0.1:5432 when it answers, else start the local cluster.
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || pg_ctlcluster "$version" main start
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
# Tests connect as postgres over TCP without a password; a fresh Debian cluster asks for one on 127.0.0.1.
if ! psql -h 127.0.0.1 -U postgres -c 'select 1' postgres >/dev/null 2>&1; then
  hba=$(ls /etc/postgresql/*/main/pg_hba.conf | sort -V | tail -n 1)
  sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' "$hba"
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main reload || pg_ctlcluster "$version" main reload
fi
