import { InvalidOptionError, rejectUnknownOptions } from '@rxq/core';

type Pem = string | Buffer | ReadonlyArray<string | Buffer>;

/**
 * TLS for an `amqps://` connection rxq opens, handed to amqplib (and Node's `tls.connect`) as
 * socket options. The passphrase and keys never appear in errors, status events or logs.
 */
export interface AmqpTlsOptions {
  /** The client certificate chain (PEM). @default none */
  readonly cert?: Pem;
  /** The client's private key (PEM), possibly encrypted with `passphrase`. @default none */
  readonly key?: Pem;
  /** The passphrase of an encrypted `key` or `pfx`. @default none */
  readonly passphrase?: string;
  /** A PKCS#12 bundle of key and certificate, instead of `cert` and `key`. @default none */
  readonly pfx?: Pem;
  /** CAs to trust for the broker's certificate (PEM). @default Node's root CAs */
  readonly ca?: Pem;
  /** The name checked against the broker's certificate (and sent as SNI). @default the URL's host name */
  readonly servername?: string;
  /** Verify the broker's certificate. Turn off only for a test broker. @default true */
  readonly rejectUnauthorized?: boolean;
  /** The lowest TLS version to accept. @default Node's ('TLSv1.2') */
  readonly minVersion?: 'TLSv1.2' | 'TLSv1.3';
}

const TLS_OPTIONS = [
  'cert',
  'key',
  'passphrase',
  'pfx',
  'ca',
  'servername',
  'rejectUnauthorized',
  'minVersion',
] as const;

function isPem(value: unknown): boolean {
  if (typeof value === 'string' || Buffer.isBuffer(value)) return true;
  return Array.isArray(value) && value.every((v) => typeof v === 'string' || Buffer.isBuffer(v));
}

/** Checks `tls` (each option by its path, `tls.passphrase`) and returns amqplib's socket options. */
export function tlsOf(tls: AmqpTlsOptions | undefined): Readonly<Record<string, unknown>> {
  if (tls === undefined) return {};
  rejectUnknownOptions(tls, TLS_OPTIONS, 'tls');
  const out: Record<string, unknown> = {};
  for (const key of ['cert', 'key', 'pfx', 'ca'] as const) {
    const value = tls[key];
    if (value === undefined) continue;
    // Never echo key material: name only the kind of value.
    if (!isPem(value))
      throw new InvalidOptionError(`tls.${key}`, 'PEM text, a Buffer, or an array of them', typeof value);
    out[key] = value;
  }
  if (tls.passphrase !== undefined) {
    if (typeof tls.passphrase !== 'string')
      throw new InvalidOptionError('tls.passphrase', 'a string', typeof tls.passphrase);
    out.passphrase = tls.passphrase;
  }
  if (tls.servername !== undefined) {
    if (typeof tls.servername !== 'string' || tls.servername === '')
      throw new InvalidOptionError('tls.servername', 'a host name', tls.servername);
    out.servername = tls.servername;
  }
  if (tls.rejectUnauthorized !== undefined) {
    if (typeof tls.rejectUnauthorized !== 'boolean')
      throw new InvalidOptionError('tls.rejectUnauthorized', 'a boolean', tls.rejectUnauthorized);
    out.rejectUnauthorized = tls.rejectUnauthorized;
  }
  if (tls.minVersion !== undefined) {
    if (tls.minVersion !== 'TLSv1.2' && tls.minVersion !== 'TLSv1.3')
      throw new InvalidOptionError('tls.minVersion', "'TLSv1.2' or 'TLSv1.3'", tls.minVersion);
    out.minVersion = tls.minVersion;
  }
  return out;
}
