#!/bin/bash
# Puts the kiosk on a Debian 12 or 13 PC, from this checkout:
#
#   sudo deploy/install.sh [--screen NAME] [--postgres]
#
# It makes the kiosk user and its folders, installs the kiosk in /opt/kiosk/venv, writes
# /etc/kiosk/kiosk.toml from deploy/kiosk.toml.example (only when there is none, with secrets
# of its own) and /etc/kiosk/screen.env (the screen's station name), installs and enables the
# systemd units (the app, the syncer, the nightly backup, the browser on tty1), the udev rules
# and Chromium's policy, installs the Debian packages it needs, brings the database up to
# date as the kiosk user, and says what is left for a person to do. Run again, it changes
# only what differs from what it would install, and says so; an upgrade is the same command
# from a newer checkout.
#
#   --screen NAME  this PC's screen, as registered with `kiosk stations add` (receiving-1)
#   --postgres     also install the PostgreSQL driver (a chain's shared database)
#   --root DIR     install into DIR instead of / (for tests): useradd --prefix and
#                  systemctl --root write DIR's files; apt, udev, daemon-reload and restarts
#                  are skipped; the database is DIR/var/lib/kiosk/kiosk.db whatever
#                  kiosk.toml says; the venv's scripts name DIR/opt/kiosk/venv as their path.
set -euo pipefail
umask 022

SRC=$(cd "$(dirname "$0")/.." && pwd)
DEPLOY=$SRC/deploy
ROOT=""
SCREEN=""
EXTRAS=""
PACKAGES="cage chromium python3-venv curl libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core"
VENV=/opt/kiosk/venv
TOML=/etc/kiosk/kiosk.toml
TTY=tty1

usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
    case "$1" in
        --root) ROOT=$(realpath "$2"); shift 2 ;;
        --root=*) ROOT=$(realpath "${1#*=}"); shift ;;
        --screen) SCREEN=$2; shift 2 ;;
        --screen=*) SCREEN=${1#*=}; shift ;;
        --postgres) EXTRAS="[postgres]"; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "Unknown option $1." >&2; usage >&2; exit 2 ;;
    esac
done
[ "$ROOT" = / ] && ROOT=""
if [ "$(id -u)" != 0 ]; then
    echo "Run it as root: sudo $0 $*" >&2
    exit 1
fi
if [ -n "$SCREEN" ] && ! [[ $SCREEN =~ ^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$ ]]; then
    echo "--screen: '$SCREEN' is not a station name (letters, digits, - and _)." >&2
    exit 2
fi

changes=0
said() { printf '  %-10s %s\n' "$1" "$2"; }
changed() { changes=$((changes + 1)); said "$1" "$2"; }
systemctl_() { if [ -n "$ROOT" ]; then systemctl --root="$ROOT" "$@"; else systemctl "$@"; fi; }

# A file from deploy/ in its place, rewritten only when its content differs.
put() {
    local from=$1 to=$2 mode=$3
    if cmp -s "$from" "$ROOT$to"; then
        said unchanged "$to"
        return 1
    fi
    install -D -m "$mode" -o 0 -g 0 "$from" "$ROOT$to"
    changed installed "$to"
}

# A folder with its owner and mode, made or corrected only when they differ.
folder() {
    local path=$1 mode=$2 owner=$3 group=$4
    if [ ! -d "$ROOT$path" ]; then
        install -d -m "$mode" -o "$owner" -g "$group" "$ROOT$path"
        changed created "$path/"
    elif [ "$(stat -c '%a %u %g' "$ROOT$path")" != "$mode $owner $group" ]; then
        chmod "$mode" "$ROOT$path"
        chown "$owner:$group" "$ROOT$path"
        changed corrected "$path/ (owner or mode)"
    else
        said unchanged "$path/"
    fi
}

echo "Installing the kiosk from $SRC${ROOT:+ into $ROOT}:"

# Debian packages: the compositor and browser of the screen, venv for Python, curl for the
# browser unit's wait for the app, Pango and a font for the end-of-day report's PDF.
if [ -n "$ROOT" ]; then
    said skipped "Debian packages ($PACKAGES): apt is not run for --root"
else
    missing=""
    for p in $PACKAGES; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
            || missing="$missing $p"
    done
    if [ -n "$missing" ]; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
        changed installed "Debian packages:$missing"
    else
        said unchanged "Debian packages: $PACKAGES"
    fi
fi

# The kiosk's own user: runs the app, the syncer, the backups and the screen.
if ! grep -q '^kiosk:' "$ROOT/etc/passwd"; then
    prefix=()
    [ -n "$ROOT" ] && prefix=(--prefix "$ROOT")
    group=(--user-group)
    grep -q '^kiosk:' "$ROOT/etc/group" && group=(--gid kiosk)
    useradd "${prefix[@]}" --system "${group[@]}" --home-dir /var/lib/kiosk --no-create-home \
        --shell /usr/sbin/nologin --comment "Dispensary kiosk" kiosk
    changed created "user and group kiosk"
else
    said unchanged "user kiosk"
fi
uid=$(awk -F: '$1 == "kiosk" { print $3 }' "$ROOT/etc/passwd")
gid=$(awk -F: '$1 == "kiosk" { print $4 }' "$ROOT/etc/passwd")

folder /opt/kiosk 755 0 0
folder /etc/kiosk 750 0 "$gid"
folder /var/lib/kiosk 750 "$uid" "$gid"
folder /var/lib/kiosk/backups 750 "$uid" "$gid"

# The kiosk itself, in its own venv. pip runs only when the source differs from what was
# installed last (its hash is kept beside the venv), so a second run leaves it untouched.
python=/usr/bin/python3
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "The kiosk needs Python 3.11 or newer; $python is $("$python" --version)." >&2
    exit 1
fi
if [ ! -x "$ROOT$VENV/bin/python" ]; then
    "$python" -m venv "$ROOT$VENV"
    changed created "$VENV ($("$python" --version))"
fi
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
# A copy, so the build leaves the checkout as it was and takes nothing but the package.
cp -r "$SRC/pyproject.toml" "$SRC/README.md" "$SRC/kiosk" "$stage/"
find "$stage" \( -name __pycache__ -o -name '*.pyc' \) -prune -exec rm -rf {} +
wanted=$( (cd "$stage" && find . -type f -print0 | sort -z | xargs -0 sha256sum
           echo "extras $EXTRAS") | sha256sum | cut -d' ' -f1)
stamp=$ROOT$VENV/kiosk-source.sha256
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    "$ROOT$VENV/bin/pip" install --quiet --disable-pip-version-check "$stage$EXTRAS"
    echo "$wanted" > "$stamp"
    kiosk_changed=1
    changed installed "the kiosk in $VENV"
else
    kiosk_changed=0
    said unchanged "the kiosk in $VENV (the same source)"
fi
put "$DEPLOY/kiosk" /usr/local/bin/kiosk 755 || true

# Settings: written once, never overwritten (they hold the store's keys by then).
if [ ! -e "$ROOT$TOML" ]; then
    settings=$(mktemp)
    while IFS= read -r line; do
        case "$line" in
            *'= "generate with:'*)  # a secret: a new one for this PC
                printf '%s= "%s"\n' "${line%%=*}" "$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')" ;;
            *) printf '%s\n' "$line" ;;
        esac
    done < "$DEPLOY/kiosk.toml.example" > "$settings"
    install -m 640 -o 0 -g "$gid" "$settings" "$ROOT$TOML"
    rm -f "$settings"
    changed created "$TOML (secrets generated; the store's own values to fill in)"
elif [ "$(stat -c '%a %u %g' "$ROOT$TOML")" != "640 0 $gid" ]; then
    chmod 640 "$ROOT$TOML"
    chown "0:$gid" "$ROOT$TOML"
    changed corrected "$TOML (owner or mode; its content is kept)"
else
    said unchanged "$TOML (kept as it is)"
fi

# The screen's station name, read by the browser unit.
screen_env=/etc/kiosk/screen.env
current=$(sed -n 's/^KIOSK_SCREEN=//p' "$ROOT$screen_env" 2>/dev/null || true)
if [ ! -e "$ROOT$screen_env" ] || { [ -n "$SCREEN" ] && [ "$SCREEN" != "$current" ]; }; then
    SCREEN=${SCREEN:-receiving-1}
    printf '# This screen'"'"'s station name (register it: sudo kiosk stations add --name %s)\nKIOSK_SCREEN=%s\n' \
        "$SCREEN" "$SCREEN" > "$stage/screen.env"
    install -m 644 -o 0 -g 0 "$stage/screen.env" "$ROOT$screen_env"
    changed wrote "$screen_env (KIOSK_SCREEN=$SCREEN)"
else
    SCREEN=$current
    said unchanged "$screen_env (KIOSK_SCREEN=$SCREEN)"
fi

# systemd units, then enabled (not started: the settings need the store's values first).
units_changed=0
for unit in kiosk-app.service kiosk-sync.service kiosk-backup.service kiosk-backup.timer \
            kiosk-browser@.service; do
    put "$DEPLOY/$unit" "/etc/systemd/system/$unit" 644 && units_changed=1
done
if [ -z "$ROOT" ] && [ "$units_changed" = 1 ]; then
    systemctl daemon-reload
fi
for unit in kiosk-app.service kiosk-sync.service kiosk-backup.timer "kiosk-browser@$TTY.service"; do
    if [ "$(systemctl_ is-enabled "$unit" 2>/dev/null)" = enabled ]; then
        said unchanged "$unit enabled"
    else
        systemctl_ enable --quiet "$unit"
        changed enabled "$unit"
    fi
done
if [ "$(systemctl_ get-default 2>/dev/null)" != graphical.target ]; then
    systemctl_ set-default --quiet graphical.target
    changed set "graphical.target as the default (the screen starts at boot)"
else
    said unchanged "graphical.target is the default"
fi

# Scanners, scales and USB printers for the kiosk user; Chromium's lock-down.
if put "$DEPLOY/99-kiosk-devices.rules" /etc/udev/rules.d/99-kiosk-devices.rules 644 \
        && [ -z "$ROOT" ]; then
    udevadm control --reload-rules || true
    udevadm trigger --action=add --subsystem-match=usb --subsystem-match=usbmisc \
        --subsystem-match=tty || true
fi
put "$DEPLOY/chromium-policy.json" /etc/chromium/policies/managed/kiosk.json 644 || true

# The database, brought up to date as the kiosk user (so its files are the kiosk's). The
# first time, this makes the audit chain's key beside it (audit.key, mode 600, the kiosk
# user's alone): the database never holds it, so whoever edits the database cannot sign.
key_file="$ROOT/var/lib/kiosk/audit.key"
had_key=$([ -e "$key_file" ] && echo 1 || echo 0)
as_kiosk=(env -i PATH=/usr/bin:/bin HOME="$ROOT/var/lib/kiosk" KIOSK_SETTINGS="$ROOT$TOML")
[ -n "$ROOT" ] && as_kiosk+=(KIOSK_DATABASE="sqlite:///$ROOT/var/lib/kiosk/kiosk.db")
upgraded=$(cd "$ROOT/opt/kiosk" && umask 027 && setpriv --reuid="$uid" --regid="$gid" --clear-groups \
    "${as_kiosk[@]}" "$ROOT$VENV/bin/kiosk" db upgrade)
if [ "$upgraded" = "The database is up to date." ]; then
    said unchanged "the database (up to date)"
else
    changed upgraded "the database: $upgraded"
fi
if [ "$had_key" = 0 ] && [ -e "$key_file" ]; then
    changed made "the audit chain's key /var/lib/kiosk/audit.key (600, kiosk user)"
fi

# A new kiosk or new units take effect in running services at once.
if [ -z "$ROOT" ] && [ $((kiosk_changed + units_changed)) -gt 0 ]; then
    systemctl try-restart kiosk-app.service kiosk-sync.service
fi

echo
if [ "$changes" = 0 ]; then
    echo "Nothing changed: this PC already has the kiosk as this script installs it."
else
    echo "$changes change(s) made."
fi

echo
echo "Left for you to do:"
"$ROOT$VENV/bin/python" - "$ROOT$TOML" "$DEPLOY/kiosk.toml.example" "$TOML" <<'EOF'
import sys
import tomllib

with open(sys.argv[1], "rb") as f:
    mine = tomllib.load(f)
with open(sys.argv[2], "rb") as f:
    example = tomllib.load(f)
left = {
    ("license", "store_name", "timezone"):
        "the store: its licence, name and time zone",
    ("metrc_vendor_key", "metrc_user_key"):
        "the Metrc keys: the vendor key from your integrator, the user key from the store's "
        "Metrc user (and metrc_url, metrc_state for your state)",
    ("label_printer", "receipt_printer"):
        "the printers' addresses (zpl+tcp://IP:9100, escpos+tcp://IP:9100, cups://QUEUE, ...)",
    ("scale",): "the bench scale (sics+serial:///dev/ttyUSB0?baudrate=9600), or none",
}
for keys, what in left.items():
    still = [k for k in keys if k in example and mine.get(k) == example[k]]
    if still:
        print(f"- In {sys.argv[3]}, set {what}: {', '.join(still)} still hold the example's.")
EOF
cat <<EOF
- This screen is $SCREEN (KIOSK_SCREEN in $screen_env; --screen NAME renames it).
  Register it and add the staff (badge, PIN, roles):
    sudo kiosk stations add --name $SCREEN --kind $(case $SCREEN in vault*) echo vault ;; *) echo receiving ;; esac)
    sudo kiosk users add --name "First Last" --badge 1001 --pin 4821 --roles manager
- Start it (or reboot): sudo systemctl start kiosk-app kiosk-sync kiosk-backup.timer kiosk-browser@$TTY
- Copy /var/lib/kiosk/backups off this PC regularly; the timer keeps the newest 14 here.
  Keep a copy of /var/lib/kiosk/audit.key off this PC too, apart from the backups: without
  it `kiosk verify` cannot check the audit chain; with it, anyone could sign one.
EOF
