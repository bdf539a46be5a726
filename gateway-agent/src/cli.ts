/**
 * `lifeline-agent`: the entry point of the bundle (dist/lifeline-agent.mjs). Parses argv and calls the
 * commands in commands.ts.
 */
import { parseArgs } from 'node:util';
import { APP_VERSION } from './agent.ts';
import { doctorCommand, EXIT, enrollCommand, runCommand, statusCommand } from './commands.ts';
import { driverNames } from './drivers/index.ts';

const HELP: Record<string, string> = {
  main: `lifeline-agent ${APP_VERSION}: Lifeline's gateway agent for Android phones (Termux)

usage: lifeline-agent <command> [options]

commands:
  enroll   exchange a one-time enrolment code for this phone's device token
  run      the daemon: heartbeats, outbox, sending through the SMS engine, receipts
  status   connection, queue, last heartbeat and last error (works while the daemon runs)
  doctor   checks the driver, token permissions, clock skew and the Android settings; prints fixes

Each command takes --help. State lives in $LIFELINE_AGENT_HOME (default ~/.lifeline-agent).`,
  enroll: `usage: lifeline-agent enroll --server URL --code CODE [--name NAME] [--driver NAME]

Exchanges a one-time enrolment code (created by an admin in Lifeline) for this phone's device token.
The token is stored with mode 0600 in the state directory; the server URL and device id in config.json.

  --server URL   the Lifeline server, e.g. https://lifeline.example.com
  --code CODE    the enrolment code
  --name NAME    the phone's name in Lifeline (default: the code's name, or "Phone XXXX")
  --driver NAME  default SMS engine for run: ${driverNames().join(', ')} (default smsgate)
  --home DIR     state directory (default $LIFELINE_AGENT_HOME or ~/.lifeline-agent)`,
  run: `usage: lifeline-agent run [--driver NAME] [--home DIR]

Runs the agent until SIGINT/SIGTERM: heartbeats at the interval the server asks for, pulls the outbox,
hands each message to the SMS engine once, and reports its receipts. Journals every step in journal.db,
so it can be killed at any moment and restarted without losing or duplicating a message.

  --driver NAME  SMS engine: ${driverNames().join(', ')} (default: config.json's "driver", else smsgate)
  --home DIR     state directory

Exit codes: 0 stopped by a signal; 1 crashed; 2 not enrolled or bad configuration; 3 the server refused
the token (revoked): enrol again. Logs are JSON lines on stderr; no message text is ever logged.`,
  status: `usage: lifeline-agent status [--json] [--home DIR]

Shows whether the daemon runs, its connection to the server, the last heartbeat, messages waiting for
the engine, receipts not yet acknowledged, and the last error. Reads the journal; safe while running.`,
  doctor: `usage: lifeline-agent doctor [--driver NAME] [--home DIR]

Checks what keeps a gateway phone working and prints the fix for each failed check: enrolment, token
file permissions, the server and the token, clock skew against the server, the SMS engine, and on
Android: battery optimisation off for Termux, Termux:API, Termux:Boot and SMSGate, the Termux:Boot
script, and the wake lock. Android checks print "skipped: not on Android" elsewhere. Exits 1 if any failed.`,
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    console.log(HELP.main);
    return command ? EXIT.ok : EXIT.usage;
  }
  if (command === '--version' || command === '-v') {
    console.log(APP_VERSION);
    return EXIT.ok;
  }
  const help = HELP[command];
  if (!help || command === 'main') {
    console.error(`Unknown command '${command}'.\n\n${HELP.main}`);
    return EXIT.usage;
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        help: { type: 'boolean', short: 'h' },
        home: { type: 'string' },
        server: { type: 'string' },
        code: { type: 'string' },
        name: { type: 'string' },
        driver: { type: 'string' },
        json: { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n\n${help}`);
    return EXIT.usage;
  }
  if (values.help) {
    console.log(help);
    return EXIT.ok;
  }
  const home = values.home as string | undefined;
  const driver = values.driver as string | undefined;
  switch (command) {
    case 'enroll': {
      if (!values.server || !values.code) {
        console.error(`enroll needs --server and --code.\n\n${help}`);
        return EXIT.usage;
      }
      return enrollCommand({
        home,
        server: values.server as string,
        code: values.code as string,
        name: values.name as string | undefined,
        driver,
      });
    }
    case 'run':
      return runCommand({ home, driver });
    case 'status':
      return statusCommand({ home, json: Boolean(values.json) });
    case 'doctor':
      return doctorCommand({ home, driver });
  }
  return EXIT.usage;
}

process.exitCode = await main(process.argv.slice(2));
