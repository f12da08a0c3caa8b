import { connect, type Socket } from 'node:net';

/**
 * A replica as a PSYNC-based CDC tool is one: a raw socket that does the replica handshake with the
 * legacy primary (REPLCONF listening-port, capabilities, `PSYNC ? -1`), takes the RDB of the full
 * sync, then reads the replication stream command by command and ACKs the offset it has *received*
 * every second. The primary lists it as `slaveN:ip=127.0.0.1,port=<listeningPort>,state=online,
 * offset=<acked>` — what soakwatch is told to ignore through `legacy.cdcReplicas`.
 *
 * The RDB is not parsed (the stand-in copies keys with DUMP/RESTORE, see cdc.ts); the stream is
 * parsed only far enough to know the selected db and each command's arguments.
 */
export interface PsyncOptions {
  host: string;
  port: number;
  /** The port the replica announces (REPLCONF listening-port): part of its address on the primary. */
  listeningPort: number;
  /** A command of the stream (SELECT, PING and REPLCONF are handled here and not passed on). */
  onCommand(db: number, args: Buffer[]): void;
  /** The link broke (not called for close()). */
  onClose?(error: Error | undefined): void;
  /** ACK period (default 1 s, as redis-server's replicas). */
  ackEveryMs?: number;
  /** How long the handshake and the RDB transfer may take (default 30 s). */
  syncTimeoutMs?: number;
}

export interface PsyncLink {
  /** The replication id and the offset the full sync started at. */
  replid: string;
  startOffset: number;
  /** Bytes of the stream received so far, as an offset (what the ACKs report). */
  readonly offset: number;
  /** Size of the RDB payload of the full sync. */
  rdbBytes: number;
  close(): void;
}

const CRLF = Buffer.from('\r\n');

/** One command as RESP (an array of bulk strings). */
export function resp(args: readonly (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a) : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, CRLF);
  }
  return Buffer.concat(parts);
}

/**
 * Parses one RESP array of bulk strings at `pos`; `undefined` when the buffer does not hold all of
 * it yet. Throws on anything else: the replication stream carries nothing else.
 */
export function parseCommand(buf: Buffer, pos: number): { args: Buffer[]; end: number } | undefined {
  if (pos >= buf.length) return undefined;
  if (buf[pos] !== 0x2a /* * */)
    throw new Error(
      `replication stream: expected an array at byte ${pos}, got ${JSON.stringify(buf.subarray(pos, pos + 20).toString('latin1'))}`,
    );
  const header = buf.indexOf(CRLF, pos);
  if (header < 0) return undefined;
  const count = Number(buf.toString('latin1', pos + 1, header));
  let at = header + 2;
  const args: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    if (at >= buf.length) return undefined;
    if (buf[at] !== 0x24 /* $ */) throw new Error(`replication stream: expected a bulk string at byte ${at}`);
    const lenEnd = buf.indexOf(CRLF, at);
    if (lenEnd < 0) return undefined;
    const len = Number(buf.toString('latin1', at + 1, lenEnd));
    const start = lenEnd + 2;
    if (start + len + 2 > buf.length) return undefined;
    args.push(Buffer.from(buf.subarray(start, start + len)));
    at = start + len + 2;
  }
  return { args, end: at };
}

type Phase = 'handshake' | 'rdb-header' | 'rdb' | 'stream';

/** Connects as a replica and resolves once the full sync's RDB has been received. */
export function openPsyncLink(opts: PsyncOptions): Promise<PsyncLink> {
  const socket: Socket = connect({ host: opts.host, port: opts.port });
  socket.setNoDelay(true);
  let buf: Buffer = Buffer.alloc(0);
  let phase: Phase = 'handshake';
  let db = 0;
  let replid = '';
  let startOffset = 0;
  let offset = 0;
  let rdbLeft = 0;
  let eofMark: Buffer | undefined;
  let rdbTail: Buffer = Buffer.alloc(0);
  let rdbBytes = 0;
  let closedByUs = false;
  let ackTimer: NodeJS.Timeout | undefined;

  // The handshake: each step is sent once the previous reply arrived.
  const steps: { send: (string | Buffer)[]; expect: RegExp }[] = [
    { send: ['PING'], expect: /^\+PONG$/ },
    { send: ['REPLCONF', 'listening-port', String(opts.listeningPort)], expect: /^\+OK$/ },
    { send: ['REPLCONF', 'capa', 'eof', 'capa', 'psync2'], expect: /^\+OK$/ },
    { send: ['PSYNC', '?', '-1'], expect: /^\+FULLRESYNC (\S+) (\d+)$/ },
  ];
  let step = 0;

  const ack = () => {
    if (!socket.destroyed) socket.write(resp(['REPLCONF', 'ACK', String(offset)]));
  };
  const close = () => {
    closedByUs = true;
    if (ackTimer) clearInterval(ackTimer);
    socket.destroy();
  };

  return new Promise<PsyncLink>((resolve, reject) => {
    let settled = false;
    let lastError: Error | undefined;
    const fail = (error: Error) => {
      lastError = error;
      if (!settled) {
        settled = true;
        clearTimeout(timeout);
        reject(error);
      }
      socket.destroy();
    };
    const timeout = setTimeout(
      () =>
        fail(
          new Error(
            `PSYNC with ${opts.host}:${opts.port}: no full sync within ${opts.syncTimeoutMs ?? 30_000} ms (phase ${phase})`,
          ),
        ),
      opts.syncTimeoutMs ?? 30_000,
    );
    const synced = () => {
      phase = 'stream';
      // The primary puts a diskless-synced replica online at its first ACK: send one at once.
      ack();
      ackTimer = setInterval(ack, opts.ackEveryMs ?? 1_000);
      settled = true;
      clearTimeout(timeout);
      resolve({
        replid,
        startOffset,
        rdbBytes,
        get offset() {
          return offset;
        },
        close,
      });
    };

    const consume = () => {
      for (;;) {
        if (phase === 'handshake') {
          const end = buf.indexOf(CRLF);
          if (end < 0) return;
          const line = buf.toString('latin1', 0, end);
          buf = buf.subarray(end + 2);
          const expected = steps[step];
          const m = expected?.expect.exec(line);
          if (!expected || !m)
            throw new Error(`replica handshake step ${step + 1}: unexpected reply "${line}"`);
          if (step === steps.length - 1) {
            replid = m[1] ?? '';
            startOffset = Number(m[2]);
            offset = startOffset;
            phase = 'rdb-header';
          } else {
            step++;
            socket.write(resp(steps[step]?.send ?? []));
          }
        } else if (phase === 'rdb-header') {
          // The primary may send newlines while it prepares the RDB.
          let i = 0;
          while (i < buf.length && buf[i] === 0x0a) i++;
          buf = buf.subarray(i);
          const end = buf.indexOf(CRLF);
          if (end < 0) return;
          const line = buf.toString('latin1', 0, end);
          buf = buf.subarray(end + 2);
          if (line.startsWith('$EOF:')) eofMark = Buffer.from(line.slice(5), 'latin1');
          else if (/^\$\d+$/.test(line)) rdbLeft = Number(line.slice(1));
          else throw new Error(`full sync: unexpected RDB header "${line}"`);
          phase = 'rdb';
        } else if (phase === 'rdb') {
          if (eofMark) {
            // Diskless: the payload ends with the 40-byte mark announced in the header.
            const joined = Buffer.concat([rdbTail, buf]);
            const at = joined.indexOf(eofMark);
            if (at < 0) {
              // Keep what could be the start of the mark; count the rest as payload.
              const keep = Math.min(joined.length, eofMark.length - 1);
              rdbBytes += joined.length - keep;
              rdbTail = Buffer.from(joined.subarray(joined.length - keep));
              buf = Buffer.alloc(0);
              return;
            }
            rdbBytes += at;
            buf = joined.subarray(at + eofMark.length);
            synced();
          } else {
            const take = Math.min(rdbLeft, buf.length);
            rdbLeft -= take;
            rdbBytes += take;
            buf = buf.subarray(take);
            if (rdbLeft > 0) return;
            synced();
          }
        } else {
          const parsed = parseCommand(buf, 0);
          if (!parsed) return;
          offset += parsed.end;
          buf = buf.subarray(parsed.end);
          const name = parsed.args[0]?.toString('latin1').toUpperCase() ?? '';
          if (name === 'SELECT') db = Number(parsed.args[1]?.toString('latin1'));
          else if (name === 'REPLCONF') {
            // REPLCONF GETACK *: the primary wants the offset now (WAIT, failover).
            if (parsed.args[1]?.toString('latin1').toUpperCase() === 'GETACK') ack();
          } else if (name !== 'PING') opts.onCommand(db, parsed.args);
        }
      }
    };

    socket.on('connect', () => socket.write(resp(steps[0]?.send ?? [])));
    socket.on('data', (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      try {
        consume();
      } catch (error) {
        fail(error instanceof Error ? error : new Error(String(error)));
      }
    });
    socket.on('error', (error) => fail(error));
    socket.on('close', () => {
      if (ackTimer) clearInterval(ackTimer);
      if (!settled)
        fail(new Error(`PSYNC with ${opts.host}:${opts.port}: connection closed in phase ${phase}`));
      else if (!closedByUs) opts.onClose?.(lastError);
    });
  });
}
