#!/usr/bin/env bash
# Installs the tools the tests drive, once: TypeScript + posthog-js + PostHog's MCP agent toolkit
# (tests/mcp) from npm into this folder (.npmrc: peers such as langchain are not installed), and
# Debian's golang-go when `go` is missing and we are root. Fast when present.
# A tool that cannot be installed is reported; its compile tests then fail with that message.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

if [ ! -x "$here/node_modules/.bin/tsc" ] || [ ! -d "$here/node_modules/posthog-js" ] \
   || [ ! -d "$here/node_modules/@posthog/agent-toolkit" ]; then
  if command -v npm >/dev/null 2>&1; then
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error) || echo "ensure.sh: npm ci failed" >&2
  else
    echo "ensure.sh: npm not found; install Node.js for the TypeScript compile checks" >&2
  fi
fi

if ! command -v go >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    (apt-get update -qq && apt-get install -y -qq golang-go >/dev/null) || echo "ensure.sh: apt-get golang-go failed" >&2
  else
    echo "ensure.sh: go not found; install golang-go for the Go compile checks" >&2
  fi
fi
exit 0
