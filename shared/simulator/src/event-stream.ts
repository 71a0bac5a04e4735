import type { SensorEvent, SimEvent, TruthEntry, TruthKind } from './types.ts';

type Body = Omit<SensorEvent, 'v' | 'id' | 'time'>;

/** Collects events and truth while a scenario is built; ids are assigned once, in time order. */
export class EventStream {
  readonly start: number;
  readonly end: number;
  #events: { at: number; order: number; tenant: string; campaign: string | undefined; body: Body }[] = [];
  #truth = new Map<string, TruthEntry>();

  constructor(start: number, end: number) {
    this.start = start;
    this.end = end;
  }

  /** Adds an event at virtual time `at` (clamped into the window: late evidence still lands in it). */
  add(tenant: string, at: number, body: Body, campaign?: string): void {
    const t = Math.round(Math.min(this.end, Math.max(this.start, at)));
    this.#events.push({ at: t, order: this.#events.length, tenant, campaign, body });
  }

  /** Labels an indicator; a malicious label wins over a benign one for the same value. */
  label(kind: TruthKind, value: string, label: TruthEntry['label'], role: string, campaign?: string): void {
    const id = `${kind}:${value}`;
    const known = this.#truth.get(id);
    if (known !== undefined && (known.label === 'malicious' || label === 'benign')) return;
    this.#truth.set(id, { kind, value, label, role, ...(campaign !== undefined ? { campaign } : {}) });
  }

  /**
   * Gives a benign indicator a more specific role (a site that got compromised, a page an
   * attacker poisons); its former role is kept in `tags`. Only indicators labelled already, and
   * never a malicious one.
   */
  retag(kind: TruthKind, value: string, role: string): void {
    const id = `${kind}:${value}`;
    const known = this.#truth.get(id);
    if (known === undefined || known.label === 'malicious' || known.role === role) return;
    const tags = [...new Set([...(known.tags ?? []), known.role])].filter((t) => t !== role);
    this.#truth.set(id, { ...known, role, tags });
  }

  /** Adds a tag to a benign indicator already labelled (a widely installed program is `popular-software`). */
  tag(kind: TruthKind, value: string, tag: string): void {
    const known = this.#truth.get(`${kind}:${value}`);
    if (known === undefined || known.label === 'malicious' || known.role === tag || known.tags?.includes(tag) === true) return;
    known.tags = [...(known.tags ?? []), tag];
  }

  /** The stream sorted by time (ties in insertion order), with ids `<prefix>-<n>`. */
  finish(idPrefix: string): { events: SimEvent[]; truth: TruthEntry[] } {
    const sorted = this.#events.sort((a, b) => a.at - b.at || a.order - b.order);
    const events = sorted.map((e, i): SimEvent => ({
      tenant: e.tenant,
      ...(e.campaign !== undefined ? { campaign: e.campaign } : {}),
      event: { v: 1, id: `${idPrefix}-${i + 1}`, time: e.at, ...e.body },
    }));
    return { events, truth: [...this.#truth.values()] };
  }
}
