import { pino, type Logger, type DestinationStream } from 'pino';

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

/** Creates the process logger. Logs go to stderr so that stdout carries only command output. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'psa-sync' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    destination ?? pino.destination(2),
  );
}
