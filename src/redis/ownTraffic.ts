import { randomUUID } from 'node:crypto';
import { commandStatName, WRITE_COMMANDS } from './writeCommands.js';

/** What soakwatch itself sent to one node, counted since this process started. */
export interface OwnTraffic {
  /** Identifies the process that counted: counters of two processes cannot be subtracted. */
  process: string;
  commands: number;
  /** commandstats name → commands sent. */
  byCommand: Record<string, number>;
  /** RESP bytes of the write commands sent (what they add to the replication offset, roughly). */
  writeBytes: number;
}

/**
 * Counts every command soakwatch sends, per node address, so its own traffic can be taken out of
 * the node's counters (INFO stats, commandstats, replication offset).
 */
export class TrafficLedger {
  readonly process = randomUUID();
  private readonly byNode = new Map<string, OwnTraffic>();

  record(address: string, name: string, args: readonly unknown[]): void {
    let entry = this.byNode.get(address);
    if (!entry) {
      entry = { process: this.process, commands: 0, byCommand: {}, writeBytes: 0 };
      this.byNode.set(address, entry);
    }
    const stat = commandStatName(name, args[0]);
    entry.commands += 1;
    entry.byCommand[stat] = (entry.byCommand[stat] ?? 0) + 1;
    if (WRITE_COMMANDS.has(stat)) entry.writeBytes += respLength(name, args);
  }

  /** A copy of the counters of one node (zeros when nothing was sent yet). */
  snapshot(address: string): OwnTraffic {
    const entry = this.byNode.get(address);
    return entry
      ? { ...entry, byCommand: { ...entry.byCommand } }
      : { process: this.process, commands: 0, byCommand: {}, writeBytes: 0 };
  }
}

/** Length of a command as a RESP array of bulk strings, the form in which a primary propagates it. */
export function respLength(name: string, args: readonly unknown[]): number {
  let total = header('*', args.length + 1) + bulk(Buffer.byteLength(name));
  for (const arg of args) total += bulk(Buffer.isBuffer(arg) ? arg.length : Buffer.byteLength(String(arg)));
  return total;
}

function header(kind: string, n: number): number {
  return kind.length + String(n).length + 2;
}

function bulk(len: number): number {
  return header('$', len) + len + 2;
}
