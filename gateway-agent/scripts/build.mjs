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

/**
 * Node builtins are taken with `process.getBuiltinModule()` (Node >= 22.3) instead of ESM `import`. An
 * ESM import of a builtin builds a module facade that reads every export once, which runs the lazy getters
 * builtins hide their heavy parts behind: `import http from 'node:http'` reads `http.WebSocket` and so
 * loads undici (fetch, WebSocket: 11 MB of RSS in a bare node process; the agent's peak RSS went from 61.4
 * to 54.7 MB), `node:fs` loads `fs.promises`, and so on.
 * Served as a CommonJS module, a builtin's exports are read only where the agent uses them.
 */
const builtinsAsCommonJs = {
  name: 'builtins-as-commonjs',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => ({ path: args.path, namespace: 'node-builtin' }));
    b.onLoad({ filter: /.*/, namespace: 'node-builtin' }, (args) => ({
      contents: `module.exports = process.getBuiltinModule(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

const result = await build({
  entryPoints: [join(root, 'src', 'cli.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  // Every node: builtin comes from process.getBuiltinModule; nothing else may stay outside the bundle
  // (the checks below fail the build otherwise).
  packages: 'bundle',
  plugins: [builtinsAsCommonJs],
  banner: { js: '#!/usr/bin/env node' },
  legalComments: 'none',
  minifySyntax: true,
  metafile: true,
  logLevel: 'warning',
});

const inputs = Object.keys(result.metafile.inputs).filter((p) => !p.startsWith('node-builtin:'));
const foreign = inputs.filter((p) => p.includes('node_modules'));
if (foreign.length > 0) {
  console.error(`the agent bundle must not contain dependencies, found:\n  ${foreign.join('\n  ')}`);
  process.exit(1);
}
const imports = Object.values(result.metafile.outputs).flatMap((o) => o.imports.map((i) => i.path));
if (imports.length > 0) {
  console.error(
    `the agent bundle must import nothing (builtins come from process.getBuiltinModule): ${imports.join(', ')}`,
  );
  process.exit(1);
}
chmodSync(outfile, 0o755);
console.log(`${outfile}: ${(statSync(outfile).size / 1024).toFixed(1)} KiB from ${inputs.length} modules`);
