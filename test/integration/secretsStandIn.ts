import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';

/**
 * A loopback Secrets Manager speaking the GetSecretValue JSON protocol (awsJson1_1, `X-Amz-Target:
 * secretsmanager.GetSecretValue`), reached through AWS_ENDPOINT_URL_SECRETS_MANAGER: the SDK client
 * Powertools builds is the one a deployment uses; only its endpoint differs. Counts reads per secret.
 */
export class SecretsManagerStandIn {
  /** GetSecretValue calls per SecretId. */
  readonly reads = new Map<string, number>();
  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
  ) {}

  static async start(secrets: Record<string, unknown>): Promise<SecretsManagerStandIn> {
    const values = new Map(
      Object.entries(secrets).map(([id, v]) => [id, typeof v === 'string' ? v : JSON.stringify(v)]),
    );
    let standIn: SecretsManagerStandIn | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const reply = (status: number, body: unknown) => {
          res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
          res.end(JSON.stringify(body));
        };
        if (req.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue')
          return reply(400, { __type: 'InvalidRequestException', message: 'only GetSecretValue' });
        const { SecretId } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { SecretId: string };
        standIn?.reads.set(SecretId, (standIn.reads.get(SecretId) ?? 0) + 1);
        const value = values.get(SecretId);
        if (value === undefined)
          return reply(400, { __type: 'ResourceNotFoundException', message: "can't find the secret" });
        reply(200, {
          ARN: `arn:aws:secretsmanager:us-east-1:000000000000:secret:${SecretId}-AbCdEf`,
          Name: SecretId,
          SecretString: value,
          VersionId: randomUUID(),
          VersionStages: ['AWSCURRENT'],
          CreatedDate: Date.now() / 1000,
        });
      });
    });
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const a = server.address();
        resolve(typeof a === 'object' && a ? a.port : 0);
      });
    });
    standIn = new SecretsManagerStandIn(server, `http://127.0.0.1:${port}`);
    return standIn;
  }

  /** Total reads of every secret. */
  total(): number {
    return [...this.reads.values()].reduce((a, b) => a + b, 0);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
