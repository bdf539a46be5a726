/**
 * `npm run simulate -- --devices N --rate MSGS_PER_MIN [--chaos] [--server URL] [--key ADMIN_KEY]`
 *
 * Runs N simulated gateway phones in this process against a Lifeline server, submits messages at the
 * given rate, and prints a live progress line. The admin key comes from --key or LIFELINE_ADMIN_KEY (the
 * first-run banner of `npm start` prints it).
 */
import { parseArgs } from 'node:util';
import { Fleet, progressLine } from './fleet.ts';

const USAGE = `usage: npm run simulate -- --devices N --rate MSGS_PER_MIN [--chaos] [--server URL] [--key ADMIN_KEY]
                             [--pollers N] [--duration S] [--seed N]

  --devices N     simulated phones (default 5); 10,000 is fine at 30 s heartbeats
  --rate R        messages per minute submitted through the API across the fleet (default 30; 0 for none)
  --chaos         engines go offline, crash mid-send and forget; phones reboot now and then
  --server URL    Lifeline server (default http://127.0.0.1:8787)
  --key KEY       admin API key (default $LIFELINE_ADMIN_KEY)
  --pollers N     phones that pull the outbox (default min(devices, 50)); the rest are standby (weight 0)
  --duration S    stop after S seconds (default: until Ctrl-C)
  --seed N        seed of the simulation (default 42)`;

export async function main(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        devices: { type: 'string', default: '5' },
        rate: { type: 'string', default: '30' },
        chaos: { type: 'boolean', default: false },
        server: { type: 'string', default: process.env.LIFELINE_URL ?? 'http://127.0.0.1:8787' },
        key: { type: 'string', default: process.env.LIFELINE_ADMIN_KEY },
        pollers: { type: 'string' },
        duration: { type: 'string' },
        seed: { type: 'string', default: '42' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const devices = Number(values.devices);
  const rate = Number(values.rate);
  if (!Number.isInteger(devices) || devices < 1 || !Number.isFinite(rate) || rate < 0) {
    console.error(`--devices must be a positive integer and --rate a number >= 0.\n\n${USAGE}`);
    return 2;
  }
  if (!values.key) {
    console.error(`An admin API key is needed: --key KEY or LIFELINE_ADMIN_KEY.\n\n${USAGE}`);
    return 2;
  }
  return runFleet({
    server: String(values.server).replace(/\/+$/, ''),
    adminKey: String(values.key),
    devices,
    ratePerMin: rate,
    chaos: Boolean(values.chaos),
    seed: Number(values.seed),
    ...(values.pollers ? { pollers: Number(values.pollers) } : {}),
    ...(values.duration ? { durationS: Number(values.duration) } : {}),
  });
}

export async function runFleet(
  opts: ConstructorParameters<typeof Fleet>[0] & { durationS?: number; signal?: AbortSignal },
): Promise<number> {
  const fleet = new Fleet(opts);
  const tty = process.stdout.isTTY;
  const t0 = Date.now();
  process.stdout.write(`Enrolling ${opts.devices} simulated phones with ${opts.server} ...\n`);
  try {
    await fleet.enroll((done) => {
      if (tty && (done % 100 === 0 || done === opts.devices))
        process.stdout.write(`\r  enrolled ${done}/${opts.devices}`);
    });
  } catch (err) {
    console.error(`\nEnrolment failed: ${err instanceof Error ? err.message : String(err)}`);
    await fleet.stop();
    fleet.close();
    return 1;
  }
  process.stdout.write(
    `${tty ? '\n' : ''}Enrolled in ${((Date.now() - t0) / 1000).toFixed(1)} s. Running${opts.chaos ? ' with chaos' : ''}; Ctrl-C to stop.\n`,
  );
  fleet.start();
  const done = new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    opts.signal?.addEventListener('abort', stop, { once: true });
    if (opts.durationS) setTimeout(stop, opts.durationS * 1000).unref();
  });
  let lines = 0;
  const timer = setInterval(() => {
    const line = progressLine(fleet.stats());
    if (tty) process.stdout.write(`\r\x1b[2K${line}`);
    else if (lines++ % 5 === 0) process.stdout.write(`${line}\n`);
  }, 1_000);
  await done;
  clearInterval(timer);
  process.stdout.write(`${tty ? '\n' : ''}Stopping ...\n`);
  await fleet.stop();
  process.stdout.write(`${progressLine(fleet.stats())}\n`);
  fleet.close();
  return 0;
}

if (import.meta.main) process.exitCode = await main(process.argv.slice(2));
