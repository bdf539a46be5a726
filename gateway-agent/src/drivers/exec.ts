/**
 * Runs one command without a shell: arguments go as an array, input goes to stdin, a timeout kills it.
 * Used by the termux driver and the telemetry reader. Never logs arguments or input (they carry numbers
 * and message text).
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface RunOptions {
  /** Written to the child's stdin, then stdin is closed. Without it stdin is closed at once. */
  stdin?: string;
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
  /** Stop reading output beyond this many bytes (a misbehaving command cannot exhaust memory). */
  maxOutputBytes?: number;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export type RunErrorKind =
  /** The command could not be started (not installed, not executable): it never ran. */
  | 'spawn_failed'
  /** It ran longer than the timeout and was killed: it may have done its work. */
  | 'timeout';

export class RunError extends Error {
  readonly kind: RunErrorKind;
  readonly command: string;
  readonly errno?: string;
  constructor(kind: RunErrorKind, command: string, message: string, errno?: string) {
    super(message);
    this.name = 'RunError';
    this.kind = kind;
    this.command = command;
    if (errno !== undefined) this.errno = errno;
  }
}

/** The signature the termux driver and telemetry reader depend on, so tests can swap it. */
export type Runner = (command: string, args: readonly string[], options: RunOptions) => Promise<RunResult>;

export const runCommand: Runner = (command, args, options) =>
  new Promise<RunResult>((resolve, reject) => {
    const limit = options.maxOutputBytes ?? 4 * 1024 * 1024;
    let settled = false;
    let stdout = '';
    let stderr = '';
    let stdoutBytes = 0;
    let stderrBytes = 0;

    const child = spawn(command, [...args], {
      env: options.env ?? process.env,
      shell: false,
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });

    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };

    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(() =>
        reject(new RunError('timeout', command, `${command} did not finish within ${options.timeoutMs} ms`)),
      );
    }, options.timeoutMs);

    child.on('error', (error: NodeJS.ErrnoException) => {
      // 'error' without a pid means the process never started.
      if (child.pid === undefined) {
        finish(() =>
          reject(new RunError('spawn_failed', command, `${command} could not be started`, error.code)),
        );
      } else {
        child.kill('SIGKILL');
      }
    });

    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes <= limit) stdout += chunk;
    });
    child.stderr.on('data', (chunk: string) => {
      stderrBytes += chunk.length;
      if (stderrBytes <= limit) stderr += chunk;
    });

    child.stdin.on('error', () => {
      // EPIPE when the command exits without reading its input; the exit code tells the story.
    });
    if (options.stdin !== undefined) child.stdin.end(options.stdin, 'utf8');
    else child.stdin.end();

    child.on('close', (code, signal) => {
      finish(() => resolve({ code, signal, stdout, stderr }));
    });
  });

/** Whether `command` is an executable file in one of PATH's directories (what a spawn would find). */
export function onPath(command: string, env: NodeJS.ProcessEnv = process.env): boolean {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}
