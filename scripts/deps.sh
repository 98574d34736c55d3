#!/bin/bash
# Install what vnetprof needs to build, run and test on Debian 12, and only
# what is missing (idempotent: a second run changes nothing). Also mounts
# tracefs if the host has not (vnetprof itself never mounts anything).
set -euo pipefail

PACKAGES=(
	# build
	meson ninja-build pkg-config gcc clang
	libsqlite3-dev libtracefs-dev libtraceevent-dev libbpf-dev
	# tests and the main job
	libcmocka-dev sqlite3 iperf3 iproute2 util-linux procps
)
# more packages, one per line, from the areas that need them
if [ -r "$(dirname "$0")/deps.list" ]; then
	mapfile -t extra < <(grep -vE '^\s*(#|$)' "$(dirname "$0")/deps.list")
	PACKAGES+=("${extra[@]}")
fi

if [ "$(id -u)" != 0 ]; then
	echo "deps: run as root (apt-get and tracefs need it)" >&2
	exit 1
fi

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
	echo "deps: all ${#PACKAGES[@]} packages present"
fi

if ! grep -q ' tracefs ' /proc/self/mounts; then
	echo "deps: mounting tracefs at /sys/kernel/tracing"
	mount -t tracefs nodev /sys/kernel/tracing
fi
