import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { AppError } from './errors.js';

const VERSION = 'v1';

/**
 * Encrypts connector settings at rest with AES-256-GCM. The stored form is
 * `v1:<iv>:<tag>:<ciphertext>` in base64 parts; the key never leaves this object.
 */
export class SecretBox {
  readonly #key: Buffer;

  constructor(base64Key: string) {
    const key = Buffer.from(base64Key, 'base64');
    if (key.length !== 32) throw new AppError('config', 'PSA_SYNC_SECRET_KEY must be a base64-encoded 32-byte key');
    this.#key = key;
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), data.toString('base64')].join(':');
  }

  open(sealed: string): string {
    const [version, iv, tag, data] = sealed.split(':');
    if (version !== VERSION || !iv || !tag || data === undefined) {
      throw new AppError('config', 'stored connector settings are in an unknown format');
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64'));
      decipher.setAuthTag(Buffer.from(tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
    } catch (err) {
      throw new AppError(
        'config',
        'stored connector settings cannot be decrypted: PSA_SYNC_SECRET_KEY differs from the key they were saved with',
        { cause: err },
      );
    }
  }

  /** Keeps the key out of util.inspect, JSON and loggers. */
  toJSON(): string {
    return '[SecretBox]';
  }
}

export function generateSecretKey(): string {
  return randomBytes(32).toString('base64');
}
