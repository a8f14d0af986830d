#!/usr/bin/env bash
# The test command: installs what the tests need beyond the .NET SDK (Chromium and its driver, to open the HTML report
# and the inspection page the way a user would), then runs every test. Used by the README and by CI (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromedriver >/dev/null 2>&1 || { ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; }; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing chromium and chromium-driver (the report and service tests open pages in a headless browser)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver >/dev/null; }
  else
    echo "chromium or chromium-driver is missing and cannot be installed here (needs root and apt-get); install them to run the browser tests" >&2
    exit 1
  fi
fi
export CASTING_REQUIRE_BROWSER=1
dotnet test CastingDefects.ML.sln -c Release "$@"
