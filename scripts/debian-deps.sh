#!/bin/sh
# Installs the Debian packages that some tests use, if they are missing and we can.
set -u
need=""
command -v tmux >/dev/null 2>&1 || need="$need tmux"
[ -d /usr/share/datasets/fashion-mnist ] || need="$need dataset-fashion-mnist"
[ -z "$need" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian packages:$need"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need) >/dev/null 2>&1 \
        || echo "could not install$need; the tests that need them will skip"
else
    echo "missing Debian packages:$need (not root, or no apt-get); the tests that need them will skip"
fi
exit 0
