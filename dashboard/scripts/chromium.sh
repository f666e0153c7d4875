# Sourced by the browser test scripts: installs Debian's Chromium when it is missing
# (CI starts from a fresh machine; we run as root). CHROMIUM_PATH names another browser.
if [[ -z "${CHROMIUM_PATH:-}" && ! -x /usr/bin/chromium ]]; then
    echo "installing Debian's chromium" >&2
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
fi
