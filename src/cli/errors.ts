import { CommanderError } from 'commander';
import { ConfigError } from '../config.ts';
import { UserError } from '../core/errors.ts';
import { EXIT_FAILURE, EXIT_USAGE } from './exit-codes.ts';

interface SystemError extends Error {
  code?: string;
  syscall?: string;
  address?: string;
  port?: number;
}

/** The message a user can act on for an error of theirs or of their machine, or undefined for a bug. */
function explain(error: unknown): string | undefined {
  if (error instanceof UserError || error instanceof ConfigError) return error.message;
  const system = error as SystemError;
  if (system?.syscall === 'listen') {
    const where = `${system.address ?? 'HOST'}:${system.port ?? 'PORT'}`;
    if (system.code === 'EADDRINUSE') return `${where} is already in use by another program: stop it, or set PORT (or HOST) to a free one`;
    if (system.code === 'EACCES') return `not allowed to listen on ${where}: use a port above 1023, or set HOST and PORT`;
    if (system.code === 'EADDRNOTAVAIL') return `${system.address} is not an address of this machine: set HOST to one (127.0.0.1, 0.0.0.0)`;
  }
  return undefined;
}

/**
 * The one way a failed command ends: what was wrong and how to fix it on stderr, and an exit
 * code. The stack trace only with --debug, for errors nobody expected as well.
 */
export function reportError(error: unknown, debug: boolean, write: (text: string) => void): number {
  // Commander has already printed its message (and the help) for a usage error.
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_USAGE;
  const known = explain(error);
  if (debug) write(`parley: ${known ?? 'unexpected error'}\n${(error as Error)?.stack ?? String(error)}\n`);
  else if (known) write(`parley: ${known}\n`);
  else
    write(
      `parley: unexpected error: ${(error as Error)?.message ?? String(error)}\n(run again with --debug for the stack trace, and report it if it looks like a bug)\n`,
    );
  return EXIT_FAILURE;
}
