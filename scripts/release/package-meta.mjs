// Keeps every package's publishing metadata in one place: run it after adding a package
// (`node scripts/release/package-meta.mjs`), and `--check` (in `pnpm lint`) fails when a package drifts.
import { readFileSync, readdirSync, writeFileSync, existsSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;
const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const check = process.argv.includes('--check');
const { repository, homepage, bugs } = rootPkg.rxq;

const keywordsOf = (name) => [
  'rxq',
  'rxjs',
  'message-queue',
  'consumer',
  'queue',
  ...(rootPkg.rxq.keywords[name] ?? []),
];

let drift = 0;
for (const dir of readdirSync(join(root, 'packages'))) {
  const file = join(root, 'packages', dir, 'package.json');
  if (!existsSync(file)) continue;
  const before = readFileSync(file, 'utf8');
  const pkg = JSON.parse(before);
  const want = {
    license: 'MIT',
    repository: { type: 'git', url: repository, directory: `packages/${dir}` },
    homepage: `${homepage}/tree/main/packages/${dir}#readme`,
    bugs: { url: bugs },
    keywords: keywordsOf(dir),
    publishConfig: { access: 'public' },
  };
  // Source maps point into src/: ship the sources (not the tests) so that they resolve.
  const files = [
    'dist',
    'src',
    '!src/**/*.test.ts',
    '!src/**/*.test-d.ts',
    ...(pkg.files ?? []).filter((f) => !['dist', 'src', '!src/**/*.test.ts', '!src/**/*.test-d.ts'].includes(f)),
  ];
  const next = { ...pkg, ...want, files };
  const after = JSON.stringify(next, null, 2) + '\n';
  for (const extra of ['LICENSE']) {
    const target = join(root, 'packages', dir, extra);
    if (!existsSync(target) || readFileSync(target, 'utf8') !== readFileSync(join(root, extra), 'utf8')) {
      if (check) {
        console.error(`package-meta: packages/${dir}/${extra} differs from the root ${extra}`);
        drift++;
      } else copyFileSync(join(root, extra), target);
    }
  }
  if (after === before) continue;
  if (check) {
    console.error(
      `package-meta: packages/${dir}/package.json lacks its publishing metadata; run node scripts/release/package-meta.mjs`,
    );
    drift++;
  } else writeFileSync(file, after);
}
if (drift) process.exit(1);
