#!/usr/bin/env node
// Bundles the browser player: player/watch.ts -> dist/player/watch.js (ES2020,
// minified, with a source map) and copies player/*.html and player/*.css next
// to it. The server serves dist/player at /player/ (watch.html for the pages).
// Exits non-zero on any error. Run from anywhere: paths are relative to the repo.
import { build } from 'esbuild';
import { copyFile, mkdir, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = path.join(root, 'player');
const outDir = path.join(root, 'dist', 'player');

async function main() {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });

  const result = await build({
    absWorkingDir: root,
    entryPoints: [path.join(srcDir, 'watch.ts')],
    outfile: path.join(outDir, 'watch.js'),
    tsconfig: path.join(srcDir, 'tsconfig.json'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    sourcemap: true,
    legalComments: 'eof',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
  });
  if (result.errors.length > 0) throw new Error(`esbuild reported ${result.errors.length} error(s)`);

  const assets = (await readdir(srcDir)).filter((f) => f.endsWith('.html') || f.endsWith('.css'));
  if (!assets.includes('watch.html')) throw new Error('player/watch.html is missing');
  await Promise.all(assets.map((f) => copyFile(path.join(srcDir, f), path.join(outDir, f))));

  const js = await stat(path.join(outDir, 'watch.js'));
  console.log(`player: dist/player/watch.js (${Math.round(js.size / 1024)} KiB) + ${assets.join(', ')}`);
}

main().catch((err) => {
  console.error(`build-player failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
