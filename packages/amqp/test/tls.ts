import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect as tcpConnect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createServer, type TLSSocket } from 'node:tls';

const run = promisify(execFile);

/** PEM material made by openssl for one test run: a CA, a server certificate, a client certificate. */
export interface TestCerts {
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  /** The client key, encrypted with {@link passphrase}. */
  readonly clientKey: string;
  readonly passphrase: string;
}

/** Makes a throw-away CA and certificates (EC P-256, valid one day) with the openssl CLI. */
export async function makeCerts(): Promise<TestCerts> {
  const dir = await mkdtemp(join(tmpdir(), 'rxq-amqp-tls-'));
  const passphrase = `pass-${process.pid}-${Date.now()}`;
  const openssl = (...args: string[]) => run('openssl', args, { cwd: dir });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];
  try {
    await openssl(
      'req',
      '-x509',
      ...ec,
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '1',
      '-subj',
      '/CN=rxq test CA',
    );
    await writeFile(join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
    await openssl('req', ...ec, '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
    await openssl(
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.crt',
      '-days',
      '1',
      '-extfile',
      'server.ext',
    );
    await openssl(
      'req',
      ...ec,
      '-keyout',
      'client.key',
      '-passout',
      `pass:${passphrase}`,
      '-out',
      'client.csr',
      '-subj',
      '/CN=rxq test client',
    );
    await openssl(
      'x509',
      '-req',
      '-in',
      'client.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'client.crt',
      '-days',
      '1',
    );
    const read = (name: string) => readFile(join(dir, name), 'utf8');
    return {
      ca: await read('ca.crt'),
      serverCert: await read('server.crt'),
      serverKey: await read('server.key'),
      clientCert: await read('client.crt'),
      clientKey: await read('client.key'),
      passphrase,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A TLS terminator in front of the shared broker: requires a client certificate from the test CA. */
export interface TlsProxy {
  readonly port: number;
  /** Common names of the client certificates it accepted. */
  readonly clients: string[];
  close(): Promise<void>;
}

/** Listens on a free loopback port; each authorised TLS connection is piped to 127.0.0.1:5672. */
export async function startTlsProxy(certs: TestCerts, upstreamPort = 5672): Promise<TlsProxy> {
  const clients: string[] = [];
  const sockets = new Set<{ destroy(): void }>();
  const server = createServer(
    { key: certs.serverKey, cert: certs.serverCert, ca: certs.ca, requestCert: true, rejectUnauthorized: true },
    (socket: TLSSocket) => {
      const cn = socket.getPeerCertificate().subject?.CN;
      clients.push(Array.isArray(cn) ? cn.join(',') : (cn ?? ''));
      const upstream = tcpConnect(upstreamPort, '127.0.0.1');
      sockets.add(socket).add(upstream);
      socket.pipe(upstream).pipe(socket);
      const end = () => {
        socket.destroy();
        upstream.destroy();
      };
      socket.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
    },
  );
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    clients,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
