#!/usr/bin/env bash
# Packs every public package with pnpm (workspace:* becomes the real version range) into .pack/,
# then checks each tarball with publint and @arethetypeswrong/cli, as a registry user would get it.
#   scripts/release/pack.sh            build, pack, check
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
bin=node_modules/.bin
out=.pack
rm -rf "$out" && mkdir -p "$out"
"$bin/tsc" -b
node scripts/release/package-meta.mjs --check
for dir in packages/*/; do
  [ -f "$dir/package.json" ] || continue
  node -e 'process.exit(require(process.argv[1]).private ? 1 : 0)' "$PWD/$dir/package.json" || continue
  (cd "$dir" && npx -y pnpm@10.34.9 pack --pack-destination "$OLDPWD/$out" >/dev/null)
done
status=0
for tarball in "$out"/*.tgz; do
  echo "== $(basename "$tarball")"
  if tar -xzOf "$tarball" package/package.json | grep -q '"workspace:'; then
    echo "pack: $tarball still has a workspace: range" >&2; status=1
  fi
  "$bin/publint" run "$tarball" --strict || status=1
  # ESM only (Node ≥ 20.19 can require() it): the CommonJS-under-node10 resolution does not apply.
  "$bin/attw" "$tarball" --profile esm-only --format table-flipped || status=1
done
exit "$status"
