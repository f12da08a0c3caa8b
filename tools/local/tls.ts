import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LocalRedisError } from './errors.js';
import type { TlsFiles } from './node.js';

const run = promisify(execFile);

/**
 * Generates, with the openssl CLI, a throw-away CA and a server certificate it signed for
 * 127.0.0.1 / localhost (also usable as client cert by the cluster bus and replication links).
 */
export async function generateTls(root: string): Promise<TlsFiles> {
  const dir = join(root, 'tls');
  mkdirSync(dir, { recursive: true });
  const caKey = join(dir, 'ca.key');
  const caFile = join(dir, 'ca.crt');
  const keyFile = join(dir, 'server.key');
  const csr = join(dir, 'server.csr');
  const certFile = join(dir, 'server.crt');
  const ext = join(dir, 'server.ext');
  writeFileSync(
    ext,
    [
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      'basicConstraints=CA:FALSE',
      'keyUsage=digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth,clientAuth',
    ].join('\n'),
  );
  // EC keys: generating RSA keys costs noticeable CPU on a shared 2-core machine.
  const steps: string[][] = [
    ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', caKey],
    [
      'req',
      '-x509',
      '-new',
      '-key',
      caKey,
      '-sha256',
      '-days',
      '2',
      '-subj',
      '/CN=soakwatch test CA',
      '-out',
      caFile,
    ],
    ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', keyFile],
    ['req', '-new', '-key', keyFile, '-subj', '/CN=localhost', '-out', csr],
    [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      caFile,
      '-CAkey',
      caKey,
      '-CAcreateserial',
      '-days',
      '2',
      '-sha256',
      '-extfile',
      ext,
      '-out',
      certFile,
    ],
  ];
  for (const args of steps) {
    try {
      await run('openssl', args, { cwd: dir });
    } catch (error) {
      throw new LocalRedisError(`could not generate TLS material (openssl ${args[0]} ${args[1]})`, {
        cause: error,
      });
    }
  }
  return { certFile, keyFile, caFile, caPem: readFileSync(caFile, 'utf8') };
}
