/**
 * Builds the status site (`astro build` into status-site/dist) when it is missing or older than its
 * sources; otherwise does nothing, so `npm start` pays for the build once per change, not once per start.
 * A lock directory keeps parallel callers (test workers, two starts) from building over each other.
 *
 *   node status-site/scripts/ensure-built.mjs           build if stale
 *   node status-site/scripts/ensure-built.mjs --force   always build
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const lockDir = join(root, '.build-lock');
const stampFile = join(dist, '.sources-fingerprint');
/** Where the built handler lives. */
export const siteEntry = join(dist, 'server', 'entry.mjs');
export const siteClientDir = join(dist, 'client');

/** Sizes and mtimes of everything the build reads (the site, its config, and the db package it bundles). */
async function fingerprint() {
  const hash = createHash('sha256');
  const roots = [join(root, 'src'), join(root, '..', 'db', 'src')];
  const files = [join(root, 'astro.config.mjs'), join(root, 'package.json')];
  for (const dir of roots) {
    for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) files.push(join(entry.parentPath, entry.name));
    }
  }
  files.sort();
  for (const f of files) {
    const s = await stat(f);
    hash.update(`${f}\0${s.size}\0${s.mtimeMs}\n`);
  }
  return hash.digest('hex');
}

async function isFresh(print) {
  try {
    await stat(siteEntry);
    return (await readFile(stampFile, 'utf8')) === print;
  } catch {
    return false;
  }
}

async function acquireLock() {
  const started = Date.now();
  for (;;) {
    try {
      await mkdir(lockDir);
      return;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      const age = Date.now() - (await stat(lockDir).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (age > 5 * 60_000) await rm(lockDir, { recursive: true, force: true }); // a crashed builder's
      if (Date.now() - started > 10 * 60_000) throw new Error(`Timed out waiting for ${lockDir}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

function runAstroBuild() {
  const astro = join(
    dirname(createRequire(import.meta.url).resolve('astro/package.json')),
    'bin',
    'astro.mjs',
  );
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [astro, 'build', '--silent'], {
      cwd: root,
      env: { ...process.env, ASTRO_TELEMETRY_DISABLED: '1', NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`astro build failed (exit ${code}):\n${out}`)),
    );
  });
}

/** Builds the site if needed. Returns whether it built, and how long that took. */
export async function ensureSiteBuilt({ force = false } = {}) {
  const started = performance.now();
  if (!force && (await isFresh(await fingerprint()))) return { built: false, ms: 0 };
  await acquireLock();
  try {
    // Someone else may have built it while we waited.
    const print = await fingerprint();
    if (!force && (await isFresh(print))) return { built: false, ms: 0 };
    await runAstroBuild();
    await writeFile(stampFile, print);
    return { built: true, ms: performance.now() - started };
  } finally {
    await rm(lockDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const force = process.argv.includes('--force');
  const result = await ensureSiteBuilt({ force });
  console.log(
    result.built ? `status site built in ${(result.ms / 1000).toFixed(1)} s` : 'status site is up to date',
  );
}
