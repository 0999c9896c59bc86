#!/usr/bin/env bash
# `make messages` and the catalogue test (which extracts the strings afresh) run Django's
# makemessages, which calls GNU gettext's xgettext, msgmerge and msgattrib. Compiling the
# catalogues does not need them (polib does it), so `make run` never calls this.
set -eu
if command -v xgettext >/dev/null && command -v msgmerge >/dev/null && command -v msgattrib >/dev/null; then
  exit 0
fi
echo "GNU gettext is missing; installing Debian's gettext package"
if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends gettext >/dev/null
command -v xgettext >/dev/null
