#!/usr/bin/env bash
# Placeholder until the registry work lands: builds nothing yet.
set -euo pipefail
case "${1:-}" in
--assets-dir|--bin-dir) echo "$(cd "$(dirname "$0")" && pwd)/bin" ;;
esac
