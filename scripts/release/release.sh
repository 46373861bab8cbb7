#!/usr/bin/env bash
# Cuts a release from the pending changesets.
#   pnpm release              version the packages (CHANGELOGs), then build, pack and check the tarballs
#   pnpm release --publish    the same, then publish the checked tarballs to the registry
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
pnpm() { npx -y pnpm@10.34.9 "$@"; }
node_modules/.bin/changeset version
pnpm install --lockfile-only >/dev/null
bash scripts/release/pack.sh
if [ "${1:-}" = "--publish" ]; then
  for tarball in .pack/*.tgz; do npm publish "$tarball" --access public; done
fi
