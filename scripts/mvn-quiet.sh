#!/usr/bin/env bash
# Maven in batch mode with only its errors shown, and without ANSI escape codes: Maven 3.8's jansi prints "ESC[0m"
# resets even with -B and -q, which show up as garbage in the launcher's output and in logs. Arguments go to mvn.
set -euo pipefail
mvn -q -B "$@" 2>&1 | sed -E $'s/\x1b\\[[0-9;?]*[A-Za-z]//g'
