/**
 * `npm run bench`: runs every bench in sequence and prints, for each, figures against a baseline from
 * the same run and PASS/FAIL against its targets. Exits 1 if any check failed.
 *
 *   npm run bench                      all benches, full durations
 *   npm run bench -- --quick           short durations, small data sets
 *   npm run bench -- --only heartbeats one bench
 *
 * A new bench is a module in this folder exporting a `Bench` (see harness.ts), listed below.
 */
import { parseArgs } from 'node:util';
import { agentBench } from './agent.ts';
import { type Bench, loadLine, machineLine } from './harness.ts';
import { heartbeatBench } from './heartbeats.ts';
import { messageBench } from './messages.ts';
import { probesBench } from './probes.ts';
import { reliabilityBench } from './reliability.ts';
import { statusPageBench } from './status-page.ts';
import { timeToAlertBench } from './time-to-alert.ts';

/** In the order they run. */
const benches: Bench[] = [
  heartbeatBench,
  messageBench,
  reliabilityBench,
  statusPageBench,
  agentBench,
  timeToAlertBench,
  probesBench,
];

function usage(): string {
  return [
    'usage: npm run bench -- [--quick] [--only NAME]',
    '',
    ...benches.map((b) => `  ${b.name.padEnd(14)} ${b.summary}`),
  ].join('\n');
}

async function main(): Promise<number> {
  let values: { quick?: boolean; only?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        quick: { type: 'boolean' },
        only: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n\n${usage()}`);
    return 2;
  }
  if (values.help) {
    console.log(usage());
    return 0;
  }
  const selected = values.only ? benches.filter((b) => b.name === values.only) : benches;
  if (selected.length === 0) {
    console.error(`No bench named '${values.only}'.\n\n${usage()}`);
    return 2;
  }

  const log = (line: string) => console.log(line);
  log(`machine: ${machineLine()}`);
  log(`before: ${loadLine()}`);
  log(`mode: ${values.quick ? 'quick' : 'full'}`);
  let failed = 0;
  for (const bench of selected) {
    log('');
    log(`== ${bench.name}: ${bench.summary}`);
    const started = performance.now();
    try {
      const outcome = await bench.run({ quick: values.quick ?? false, log });
      failed += outcome.checks.filter((c) => !c.passed).length;
    } catch (err) {
      failed++;
      log(
        `  FAIL  ${bench.name} did not complete: ${err instanceof Error ? (err.stack ?? err.message) : err}`,
      );
    }
    log(`   (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  }
  log('');
  log(`after: ${loadLine()}`);
  log(failed === 0 ? 'all checks passed' : `${failed} check(s) failed`);
  return failed === 0 ? 0 : 1;
}

process.exitCode = await main();
