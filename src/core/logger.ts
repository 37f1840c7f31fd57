import { pino, type Logger, type DestinationStream } from 'pino';
import { PinoPretty } from 'pino-pretty';

export type { Logger };

/**
 * Paths pino censors wherever they appear in a log line. Connector settings and HTTP headers are
 * the places a secret could reach a logger by accident; error messages are built never to hold one.
 */
export const REDACT_PATHS = [
  'settings',
  '*.settings',
  'privateKey',
  '*.privateKey',
  'publicKey',
  '*.publicKey',
  'clientSecret',
  '*.clientSecret',
  'password',
  '*.password',
  'authorization',
  '*.authorization',
  'headers',
  '*.headers',
  'token',
  '*.token',
];

/** Readable one-line logs for a person at a terminal: time, level, message, then the fields. */
export function readableLogStream(destination: NodeJS.WritableStream | number = 2): DestinationStream {
  return PinoPretty({ destination, sync: true, colorize: typeof destination === 'number' && process.stderr.isTTY, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname,service', singleLine: true });
}

/**
 * Creates the process logger. Logs go to stderr so that stdout carries only command output: as
 * readable lines when stderr is a terminal, as JSON (one object a line) otherwise.
 */
export function createLogger(level: string, destination?: DestinationStream, options: { readable?: boolean } = {}): Logger {
  const readable = options.readable ?? (destination === undefined && process.stderr.isTTY === true);
  return pino(
    {
      level,
      base: { service: 'psa-sync' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    destination ?? (readable ? readableLogStream(2) : pino.destination(2)),
  );
}
