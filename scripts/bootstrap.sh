#!/usr/bin/env bash
# Sets up everything `make demo` and `make test` need, idempotently:
#   1. Debian packages (when root on Debian and they are missing),
#   2. a Python >= 3.11 virtual environment in .venv with the project, the central's extra (the demo
#      and the tests run the central) and the test tools. A teller PC installs the project alone.
# Where it cannot install something itself it stops with one sentence naming what to install.
set -euo pipefail
cd "$(dirname "$0")/.."

# cups and cups-bsd: printing receipts (lp; the tests start a private cupsd); fonts-wqy-zenhei: the
# CJK font the receipt PDF embeds; poppler-utils: pdftotext, to read a printed PDF back;
# cups-filters: the PDF printer driver the printing test's file queue uses; gnome-keyring and dbus:
# the real Secret Service the keyring tests run against (a private bus, a throwaway password).
DEB_PACKAGES=(pcscd vsmartcard-vpcd libpcsclite-dev libpcsclite1 swig tmux postgresql
    cups cups-bsd cups-client cups-filters fonts-wqy-zenhei poppler-utils gnome-keyring dbus)

missing_debs() {
    local missing=()
    for pkg in "${DEB_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    echo "${missing[@]:-}"
}

if command -v dpkg-query >/dev/null 2>&1; then
    missing="$(missing_debs)"
    if [ -n "$missing" ]; then
        if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
            echo "bootstrap: installing Debian packages: $missing"
            export DEBIAN_FRONTEND=noninteractive
            apt-get update -qq >/dev/null
            # shellcheck disable=SC2086
            apt-get install -y -qq --no-install-recommends $missing >/dev/null
        else
            echo "bootstrap: please install these Debian packages first (as root: apt-get install $missing)." >&2
            exit 1
        fi
    fi
else
    if ! command -v pcscd >/dev/null 2>&1; then
        echo "bootstrap: not a Debian system; install pcsc-lite (pcscd and its development headers), vsmartcard-vpcd, tmux, PostgreSQL, gnome-keyring and dbus with your package manager, then run this again." >&2
        exit 1
    fi
fi

PYTHON=""
for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        PYTHON="$candidate"; break
    fi
done
if [ -z "$PYTHON" ]; then
    echo "bootstrap: Python 3.11 or newer is needed (Debian: apt-get install python3 python3-venv)." >&2
    exit 1
fi

if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv || {
        echo "bootstrap: could not create a virtual environment; install python3-venv (Debian: apt-get install python3-venv)." >&2
        exit 1
    }
fi

stamp_value="$(cat pyproject.toml | sha256sum | cut -d' ' -f1)"
if [ ! -f .bootstrap-stamp ] || [ "$(cat .bootstrap-stamp)" != "$stamp_value" ]; then
    echo "bootstrap: installing the project into .venv"
    .venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
    if ! .venv/bin/python -m pip install -q -e '.[central,test]' >.venv/pip-install.log 2>&1; then
        tail -n 30 .venv/pip-install.log >&2
        echo "bootstrap: pip could not install the project; the full log is .venv/pip-install.log." >&2
        exit 1
    fi
    .venv/bin/python -c 'import branch_app, textual, tinydb, smartcard, httpx, keyring, fastapi, uvicorn, sqlalchemy, fpdf, pypdf' || {
        echo "bootstrap: the Python packages did not install; see .venv/pip-install.log." >&2
        exit 1
    }
    echo "$stamp_value" > .bootstrap-stamp
fi
