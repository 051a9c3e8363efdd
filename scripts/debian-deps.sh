#!/bin/sh
# Installs the Debian packages that some tests use, if they are missing and we can.
set -u
need=""
command -v tmux >/dev/null 2>&1 || need="$need tmux"
[ -d /usr/share/datasets/fashion-mnist ] || need="$need dataset-fashion-mnist"
# The browser tests of `ptref-tutor serve` drive Debian's Chromium (Playwright never downloads one).
[ -x /usr/bin/chromium ] || need="$need chromium"
[ -z "$need" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian packages:$need"
    apt-get update -qq >/dev/null 2>&1
    for package in $need; do  # one at a time: one that cannot be had does not keep the others out
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null 2>&1 \
            || echo "could not install $package; the tests that need it will skip"
    done
else
    echo "missing Debian packages:$need (not root, or no apt-get); the tests that need them will skip"
fi
exit 0
