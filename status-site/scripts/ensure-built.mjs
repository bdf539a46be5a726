/**
 * Builds the status site (`astro build` into status-site/dist) when it is missing or older than its
 * sources; otherwise does nothing, so `npm start` pays for the build once per change, not once per start.
 * A lock directory keeps parallel callers (test workers, two starts) from building over each other.
 * `--edge` does the same for the edge build (status-site/dist-edge, imported by the Worker): wrangler.toml
 * runs it before bundling.
 *
 *   node status-site/scripts/ensure-built.mjs           build if stale
 *   node status-site/scripts/ensure-built.mjs --force   always build
 *   node status-site/scripts/ensure-built.mjs --edge    the edge build, if stale
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const lockDir = join(root, '.build-lock');
const TARGETS = {
  node: { dist: join(root, 'dist'), env: {} },
  edge: { dist: join(root, 'dist-edge'), env: { LIFELINE_SITE_TARGET: 'edge' } },
};
const entryOf = (target) => join(TARGETS[target].dist, 'server', 'entry.mjs');
const stampOf = (target) => join(TARGETS[target].dist, '.sources-fingerprint');
/** Where the built handler lives. */
export const siteEntry = entryOf('node');
export const siteClientDir = join(TARGETS.node.dist, 'client');

/** Sizes and mtimes of everything the build reads (the site, its config, and the db package it bundles). */
async function fingerprint() {
  const hash = createHash('sha256');
  const roots = [join(root, 'src'), join(root, 'public'), join(root, '..', 'db', 'src')];
  const files = [join(root, 'astro.config.mjs'), join(root, 'package.json')];
  for (const dir of [...roots, join(root, 'adapter')]) {
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

async function isFresh(target, print) {
  try {
    await stat(entryOf(target));
    return (await readFile(stampOf(target), 'utf8')) === print;
  } catch {
    return false;
  }
}

const ownerFile = join(lockDir, 'owner.json');

function alive(pid) {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/** A lock is stale when neither its owner nor the owner's astro process is alive (or it is very old). */
async function lockIsStale() {
  try {
    const owner = JSON.parse(await readFile(ownerFile, 'utf8'));
    return !alive(owner.pid) && !alive(owner.child);
  } catch {
    // Owner file not written yet (a lock just taken) or unreadable: stale only if old.
    const s = await stat(lockDir).catch(() => null);
    return s !== null && Date.now() - s.mtimeMs > 60_000;
  }
}

async function writeOwner(child) {
  await writeFile(ownerFile, JSON.stringify({ pid: process.pid, child: child ?? null }));
}

async function acquireLock() {
  const started = Date.now();
  for (;;) {
    try {
      await mkdir(lockDir);
      await writeOwner();
      return;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      if (await lockIsStale()) await rm(lockDir, { recursive: true, force: true });
      if (Date.now() - started > 10 * 60_000) throw new Error(`Timed out waiting for ${lockDir}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

function runAstroBuild(target) {
  const astro = join(
    dirname(createRequire(import.meta.url).resolve('astro/package.json')),
    'bin',
    'astro.mjs',
  );
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [astro, 'build', '--silent'], {
      cwd: root,
      env: { ...process.env, ASTRO_TELEMETRY_DISABLED: '1', NODE_ENV: 'production', ...TARGETS[target].env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    // If this process exits mid-build (Ctrl-C on `npm start`), take the build and the lock with it.
    const onExit = () => {
      child.kill('SIGKILL');
      rmSync(lockDir, { recursive: true, force: true });
    };
    process.once('exit', onExit);
    writeOwner(child.pid).catch(() => {});
    child.on('exit', () => process.off('exit', onExit));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`astro build failed (exit ${code}):\n${out}`)),
    );
  });
}

/** Builds the site if needed. Returns whether it built, and how long that took. */
export async function ensureSiteBuilt({ force = false, target = 'node' } = {}) {
  const started = performance.now();
  if (!force && (await isFresh(target, await fingerprint()))) return { built: false, ms: 0 };
  await acquireLock();
  try {
    // Someone else may have built it while we waited.
    const print = await fingerprint();
    if (!force && (await isFresh(target, print))) return { built: false, ms: 0 };
    await runAstroBuild(target);
    await writeFile(stampOf(target), print);
    return { built: true, ms: performance.now() - started };
  } finally {
    await rm(lockDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const force = process.argv.includes('--force');
  const target = process.argv.includes('--edge') ? 'edge' : 'node';
  const result = await ensureSiteBuilt({ force, target });
  const what = target === 'edge' ? 'status site (edge build)' : 'status site';
  console.log(result.built ? `${what} built in ${(result.ms / 1000).toFixed(1)} s` : `${what} is up to date`);
}
