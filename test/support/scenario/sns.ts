import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';

/**
 * What soakwatch published, whichever way it got out: the in-process driver collects the tick's
 * messages, the CLI driver's processes publish through the AWS SDK to `SnsRecorder` (a loopback
 * HTTP server speaking SNS's query protocol, reached through `AWS_ENDPOINT_URL_SNS`).
 */
export interface RecordedMessage {
  receivedAt: number;
  topicArn: string;
  subject: string;
  body: string;
  /** tenant, severity, state, kind — the MessageAttributes subscriptions filter on. */
  attributes: Record<string, string>;
}

/** A loopback SNS endpoint that accepts Publish and records it. */
export class SnsRecorder {
  readonly messages: RecordedMessage[] = [];
  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
  ) {}

  static async start(): Promise<SnsRecorder> {
    let recorder: SnsRecorder | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        if (form.get('Action') !== 'Publish') {
          res.writeHead(400, { 'content-type': 'text/xml' });
          res.end(
            `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>only Publish is recorded</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
          );
          return;
        }
        const attributes: Record<string, string> = {};
        for (let i = 1; form.has(`MessageAttributes.entry.${i}.Name`); i++) {
          attributes[form.get(`MessageAttributes.entry.${i}.Name`) ?? ''] =
            form.get(`MessageAttributes.entry.${i}.Value.StringValue`) ?? '';
        }
        recorder?.messages.push({
          receivedAt: Date.now(),
          topicArn: form.get('TopicArn') ?? '',
          subject: form.get('Subject') ?? '',
          body: form.get('Message') ?? '',
          attributes,
        });
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(
          `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${randomUUID()}</MessageId></PublishResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`,
        );
      });
    });
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const a = server.address();
        resolve(typeof a === 'object' && a ? a.port : 0);
      });
    });
    recorder = new SnsRecorder(server, `http://127.0.0.1:${port}`);
    return recorder;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
