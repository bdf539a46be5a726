/**
 * `npm run demo`: starts a Lifeline server (`monitor/src/node.ts`) on a fresh database in a temp
 * directory (or DEMO_DATA_DIR), reads the admin key from its first-run banner, and runs a small simulated
 * fleet against it, so a live fleet shows up within a minute, with an SMS canary probe from the first
 * simulated phone to the second. Ctrl-C stops both.
 *
 *   npm run demo -- [--devices 5] [--rate 30] [--chaos] [--port 8787]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runFleet } from './cli.ts';

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '5' },
    rate: { type: 'string', default: '30' },
    chaos: { type: 'boolean', default: false },
    port: { type: 'string', default: process.env.PORT ?? '8787' },
    duration: { type: 'string' },
  },
});

const serverEntry = fileURLToPath(new URL('../../../monitor/src/node.ts', import.meta.url));
const dataDir = process.env.DEMO_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'lifeline-demo-'));
const server = spawn(process.execPath, [serverEntry], {
  env: {
    ...process.env,
    DATABASE_URL: `file:${join(dataDir, 'lifeline.db')}`,
    PORT: values.port,
    LOG_LEVEL: 'warn',
  },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const stopServer = () => {
  if (server.exitCode === null && server.signalCode === null) server.kill('SIGTERM');
};
process.once('exit', stopServer);

const found = await new Promise<{ key: string; url: string }>((resolve, reject) => {
  let key = '';
  const rl = createInterface({ input: server.stdout! });
  rl.on('line', (line) => {
    process.stdout.write(`[server] ${line}\n`);
    const k = /Admin API key:\s+(\S+)/.exec(line);
    if (k) key = k[1]!;
    const u = /Lifeline is listening on (\S+)/.exec(line);
    if (u) {
      if (!key) reject(new Error(`no first-run admin key: is ${dataDir} a fresh database?`));
      else resolve({ key, url: u[1]! });
    }
  });
  server.once('exit', (code) => reject(new Error(`the server exited (code ${code})`)));
});

console.log(`\nDemo: server ${found.url} (data in ${dataDir}); the dashboard API: ${found.url}/docs\n`);
const code = await runFleet({
  server: found.url,
  adminKey: found.key,
  devices: Number(values.devices),
  ratePerMin: Number(values.rate),
  chaos: Boolean(values.chaos),
  canary: true,
  ...(values.duration ? { durationS: Number(values.duration) } : {}),
});
stopServer();
await new Promise((r) => (server.exitCode !== null ? r(null) : server.once('exit', r)));
process.exitCode = code;
