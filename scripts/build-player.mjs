#!/usr/bin/env node
// Bundles the browser player: each entry (player/watch.ts: the watch page;
// player/chat-overlay.ts: the OBS chat overlay; player/analytics.ts: the admin analytics page) -> dist/player/<name>.js
// (ES2020, minified, with a source map) and copies player/*.html and
// player/*.css next to them. The server serves dist/player at /player/
// (watch.html and chat-overlay.html for the pages).
// Exits non-zero on any error. Run from anywhere: paths are relative to the repo.
import { build } from 'esbuild';
import { copyFile, mkdir, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = path.join(root, 'player');
const outDir = path.join(root, 'dist', 'player');
/** Each page's script; its html (same name) must exist in player/. */
const ENTRIES = [
  { script: 'watch.ts', html: 'watch.html' },
  { script: 'chat-overlay.ts', html: 'chat-overlay.html' },
  { script: 'replay.ts', html: 'replay.html' },
  { script: 'analytics.ts', html: 'analytics.html' },
];

async function main() {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });

  const result = await build({
    absWorkingDir: root,
    entryPoints: ENTRIES.map((e) => path.join(srcDir, e.script)),
    outdir: outDir,
    entryNames: '[name]',
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
  for (const { html } of ENTRIES) if (!assets.includes(html)) throw new Error(`player/${html} is missing`);
  await Promise.all(assets.map((f) => copyFile(path.join(srcDir, f), path.join(outDir, f))));

  const sizes = await Promise.all(
    ENTRIES.map(async ({ script }) => {
      const js = script.replace(/\.ts$/, '.js');
      return `dist/player/${js} (${Math.round((await stat(path.join(outDir, js))).size / 1024)} KiB)`;
    }),
  );
  console.log(`player: ${sizes.join(', ')} + ${assets.join(', ')}`);
}

main().catch((err) => {
  console.error(`build-player failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
