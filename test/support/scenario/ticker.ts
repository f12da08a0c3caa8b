import type { DriverTick, SampleReader, StoredSample, TickDriver } from './drivers.js';
import type { RecordedMessage } from './sns.js';

/**
 * Ticks one tenant every `intervalMs` of real time on a fixed grid, as EventBridge schedules a
 * Lambda: a tick starts on time even when the previous one is still running (the tick's own lock then
 * skips it, as in production). Each finished tick becomes a `TickRecord`.
 */
export interface TickRecord {
  tenant: string;
  index: number;
  scheduledAt: number;
  startedAt: number;
  endedAt: number;
  /** Wall time of the whole tick (a CLI tick includes the process start). */
  wallMs: number;
  /** The judge's `now` (the sample's time). */
  at: number | undefined;
  ok: boolean;
  skipped?: string;
  error?: string;
  state?: string;
  /** Criteria firing after this tick (and open alarms, as `alarm:<name>`). */
  firing: string[];
  criteria: {
    id: string;
    metric: string;
    status: string;
    value: number | null;
    firing: boolean;
    cause?: string;
    detail?: string;
  }[];
  transitions: string[];
  inconclusiveReasons?: string[];
  sample?: { durationMs: number; complete: boolean; failedNodes: string[] };
  /** The stored sample's derived metrics (when the stored latest sample is this tick's). */
  derived?: Record<string, number | null>;
  notes?: Record<string, string>;
  /** Messages of this tenant published during this tick. */
  messages: RecordedMessage[];
  /** Those of them on the alert topic: what pages on-call. */
  onCall: RecordedMessage[];
}

export interface TickerOptions {
  driver: TickDriver;
  tenant: string;
  intervalMs: number;
  reader: SampleReader;
  alertTopicArn: string;
}

export class Ticker {
  readonly records: TickRecord[] = [];
  private t0 = 0;
  private next = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly listeners = new Set<() => void>();
  private readonly attributed = new Set<RecordedMessage>();

  constructor(private readonly opts: TickerOptions) {}

  get tenant(): string {
    return this.opts.tenant;
  }

  get intervalMs(): number {
    return this.opts.intervalMs;
  }

  /** Started and not stopped. */
  get running(): boolean {
    return this.t0 > 0 && !this.stopped;
  }

  /** Starts the grid now. */
  start(): this {
    this.t0 = Date.now();
    this.schedule();
    return this;
  }

  /** Records sorted by tick index. */
  sorted(): TickRecord[] {
    return [...this.records].sort((a, b) => a.index - b.index);
  }

  /** The first finished tick (now or later) that satisfies `pred`; undefined after `timeoutMs`. */
  waitFor(pred: (r: TickRecord) => boolean, timeoutMs: number): Promise<TickRecord | undefined> {
    const found = this.sorted().find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        resolve(undefined);
      }, timeoutMs);
      const check = () => {
        const hit = this.sorted().find(pred);
        if (hit) {
          clearTimeout(timer);
          this.listeners.delete(check);
          resolve(hit);
        }
      };
      this.listeners.add(check);
    });
  }

  /** The next tick to finish after this call. */
  async nextTick(timeoutMs = 60_000): Promise<TickRecord> {
    const seen = this.records.length;
    await this.waitFor(() => this.records.length > seen, timeoutMs);
    const record = this.records[seen];
    if (!record) throw new Error(`${this.tenant}: no tick finished within ${timeoutMs} ms`);
    return record;
  }

  /** Waits until the wall clock reaches `at` and the ticks started before it finished. */
  async until(at: number): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));
    await Promise.all([...this.inFlight]);
  }

  /** No new ticks; waits for those running. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await Promise.all([...this.inFlight]);
  }

  private schedule(): void {
    if (this.stopped) return;
    const index = this.next;
    const due = this.t0 + index * this.opts.intervalMs;
    this.timer = setTimeout(
      () => {
        if (this.stopped) return;
        this.next++;
        const run = this.runOne(index, due).finally(() => this.inFlight.delete(run));
        this.inFlight.add(run);
        this.schedule();
      },
      Math.max(0, due - Date.now()),
    );
  }

  private async runOne(index: number, scheduledAt: number): Promise<void> {
    const tick = await this.opts.driver.tick(this.opts.tenant);
    const stored = tick.report?.sample
      ? await this.opts.reader.latest(this.opts.tenant).catch(() => undefined)
      : undefined;
    this.records.push(this.recordOf(index, scheduledAt, tick, stored));
    for (const listener of [...this.listeners]) listener();
  }

  private recordOf(
    index: number,
    scheduledAt: number,
    tick: DriverTick,
    stored: StoredSample | undefined,
  ): TickRecord {
    const r = tick.report;
    const verdict = r?.verdict as
      | (NonNullable<typeof r>['verdict'] & { inconclusiveReasons?: string[] })
      | undefined;
    const messages = this.opts.driver.messages.filter(
      (m) =>
        !this.attributed.has(m) &&
        m.attributes.tenant === this.opts.tenant &&
        m.receivedAt >= tick.startedAt &&
        m.receivedAt <= tick.endedAt + 50,
    );
    for (const m of messages) this.attributed.add(m);
    const sampleAt = r?.sample?.at;
    return {
      tenant: this.opts.tenant,
      index,
      scheduledAt,
      startedAt: tick.startedAt,
      endedAt: tick.endedAt,
      wallMs: tick.endedAt - tick.startedAt,
      at: sampleAt,
      ok: Boolean(r?.ok) && !tick.error,
      ...(r?.skipped ? { skipped: r.skipped } : {}),
      ...(tick.error || r?.error ? { error: tick.error ?? r?.error } : {}),
      ...(r?.state ? { state: r.state } : {}),
      firing: verdict?.firing.map((f) => f.id) ?? [],
      criteria:
        verdict?.criteria.map((c) => {
          const extra = c as typeof c & { cause?: string; detail?: string };
          return {
            id: c.id,
            metric: c.scope ? `${c.metric}@${c.scope}` : c.metric,
            status: c.status,
            value: c.value,
            firing: c.firing,
            ...(extra.cause ? { cause: extra.cause } : {}),
            ...(extra.detail ? { detail: extra.detail } : {}),
          };
        }) ?? [],
      transitions: r?.transitions.map((t) => `${t.kind}:${t.from}→${t.to}`) ?? [],
      ...(verdict?.inconclusiveReasons ? { inconclusiveReasons: verdict.inconclusiveReasons } : {}),
      ...(r?.sample
        ? {
            sample: {
              durationMs: r.sample.durationMs,
              complete: r.sample.complete,
              failedNodes: r.sample.failedNodes,
            },
          }
        : {}),
      ...(stored && stored.at === sampleAt
        ? { derived: stored.derived, ...(stored.notes ? { notes: stored.notes } : {}) }
        : {}),
      messages,
      onCall: messages.filter((m) => m.topicArn === this.opts.alertTopicArn),
    };
  }
}
