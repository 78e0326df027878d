#!/usr/bin/env bash
# Makes the Dockerfile's two base images on this machine, for a Docker engine that reaches
# no registry (the container test, tests/container.rs):
#   the final stage's Debian image   debootstrap bookworm, minbase variant
#   the build stage's Rust image     the same with gcc, libc6-dev and ca-certificates, plus
#                                    this machine's Rust toolchain (it must be the version
#                                    the image is named after)
# The names are read from the Dockerfile's FROM lines. An image already in the engine is
# kept: they are made once, then cached by the engine.
#   usage: base-images.sh CACHE_DIR    (downloaded .deb files are kept there)
set -euo pipefail
cd "$(dirname "$0")/../.."
cache=${1:?usage: base-images.sh CACHE_DIR}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

debian_image=$(sed -n 's/^FROM \(debian:[^ ]*\)$/\1/p' Dockerfile)
rust_image=$(sed -n 's/^FROM \(rust:[^ ]*\) AS build$/\1/p' Dockerfile)
[ -n "$debian_image" ] && [ -n "$rust_image" ] || { echo "no debian/rust FROM line in the Dockerfile" >&2; exit 1; }

mkdir -p "$cache/debs"
have() { docker image inspect "$1" >/dev/null 2>&1; }

# debootstrap into a fresh folder, then `docker import` it with the given --change options.
make_image() {
    local name=$1 include=$2 root
    shift 2
    root=$(mktemp -d "$cache/root.XXXXXX")
    echo "making $name from debootstrap bookworm${include:+ with $include}"
    debootstrap --variant=minbase ${include:+--include="$include"} --cache-dir="$(realpath "$cache/debs")" \
        bookworm "$root" "$mirror" >"$cache/debootstrap.log" 2>&1 \
        || { tail -20 "$cache/debootstrap.log" >&2; rm -rf "$root"; exit 1; }
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    if [ -n "${TOOLCHAIN:-}" ]; then
        mkdir -p "$root/usr/local/rust"
        cp -a "$TOOLCHAIN/bin" "$TOOLCHAIN/lib" "$root/usr/local/rust/"
    fi
    tar -C "$root" -c . | docker import "$@" - "$name" >/dev/null
    rm -rf "$root"
}

if ! have "$debian_image"; then
    make_image "$debian_image" "" --change 'CMD ["bash"]'
fi

if ! have "$rust_image"; then
    wanted=${rust_image#rust:}
    wanted=${wanted%%-*}
    sysroot=$(rustc --print sysroot)
    version=$(rustc --version | cut -d' ' -f2)
    [ "$version" = "$wanted" ] || { echo "$rust_image needs Rust $wanted; this machine has $version" >&2; exit 1; }
    # As the official image: cargo's home in /usr/local/cargo, the toolchain on PATH.
    TOOLCHAIN=$sysroot make_image "$rust_image" gcc,libc6-dev,ca-certificates \
        --change 'ENV CARGO_HOME=/usr/local/cargo' \
        --change 'ENV PATH=/usr/local/cargo/bin:/usr/local/rust/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'CMD ["bash"]'
fi
echo "base images ready: $debian_image $rust_image"
