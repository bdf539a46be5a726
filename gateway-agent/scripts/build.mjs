#!/usr/bin/env node
/**
 * Bundles the agent (src/cli.ts) into ONE file, dist/lifeline-agent.mjs, with no runtime dependencies
 * beyond Node >= 22 (node:sqlite is built in): installing it on a phone is copying that file.
 *
 *   node gateway-agent/scripts/build.mjs        (or: npm run build:agent)
 */
import { chmodSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(root, 'dist', 'lifeline-agent.mjs');

const result = await build({
  entryPoints: [join(root, 'src', 'cli.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  // Every node: builtin stays an import; nothing else may (the check below fails the build otherwise).
  packages: 'bundle',
  external: ['node:*'],
  banner: { js: '#!/usr/bin/env node' },
  legalComments: 'none',
  minifySyntax: true,
  metafile: true,
  logLevel: 'warning',
});

const inputs = Object.keys(result.metafile.inputs);
const foreign = inputs.filter((p) => p.includes('node_modules'));
if (foreign.length > 0) {
  console.error(`the agent bundle must not contain dependencies, found:\n  ${foreign.join('\n  ')}`);
  process.exit(1);
}
const imports = Object.values(result.metafile.outputs).flatMap((o) => o.imports.map((i) => i.path));
const nonBuiltin = imports.filter((p) => !p.startsWith('node:'));
if (nonBuiltin.length > 0) {
  console.error(`the agent bundle imports non-builtin modules: ${nonBuiltin.join(', ')}`);
  process.exit(1);
}
chmodSync(outfile, 0o755);
console.log(`${outfile}: ${(statSync(outfile).size / 1024).toFixed(1)} KiB from ${inputs.length} modules`);
