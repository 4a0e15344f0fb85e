/**
 * Deterministic bench data: an account shaped like a real contact center
 * (full records of ~850 bytes: names, picture URL, 3 of 20 skills, groups,
 * away reasons on a quarter of the agents, loads from assigned conversations)
 * and a steady writer of realistic changes.
 */
import { prng } from '../../src/sim/index.js';

export type ClientEvent = Record<string, unknown> & { type: string };

export const SKILL_COUNT = 20;
export const GROUP_COUNT = 10;
const FIRST = ['Maya', 'Noa', 'Lior', 'Dana', 'Omer', 'Yael', 'Ariel', 'Tamar', 'Eden', 'Roni', 'Sam', 'Alex', 'Jordan', 'Taylor', 'Chris', 'Kim', 'Lee', 'Robin', 'Avery', 'Quinn'];
const LAST = ['Levi', 'Cohen', 'Mizrahi', 'Peretz', 'Biton', 'Dahan', 'Smith', 'Garcia', 'Martin', 'Rossi', 'Novak', 'Kowalski', 'Silva', 'Tanaka', 'Ahmed', 'Okafor'];
const SKILL_NAMES = ['billing', 'sales', 'tech-tier1', 'tech-tier2', 'vip', 'spanish', 'french', 'german', 'whatsapp', 'sms', 'retention', 'onboarding', 'claims', 'fraud', 'premium', 'apple-business-chat', 'facebook', 'web-messaging', 'escalations', 'night-shift'];

export function agentId(i: number): string {
  return String(4_000_000_000 + i * 7919);
}

export interface AccountData {
  events: ClientEvent[];
  /** Logged-in agents (ids) that the writer may move. */
  active: string[];
}

/**
 * Builds an account of `agents` agents as seen at `now`: 90 % logged in
 * (55 % ONLINE, 25 % AWAY with a reason, 10 % BACK_SOON), 10 % logged out in
 * the last 5 minutes (still listed, OFFLINE); logged-in agents hold 0 to
 * maxSlots conversations unless `conversations` is false. The connection time-out is set
 * to an hour so a minutes-long bench is not dominated by time-out sweeps.
 */
export function accountData(agents: number, now: number, seed = 7, opts: { conversations?: boolean } = {}): AccountData {
  const rnd = prng(seed);
  const pick = (n: number) => Math.floor(rnd() * n);
  const events: ClientEvent[] = [{ type: 'account.settingsChanged', connectionTimeoutMs: 3_600_000, time: now - 3_600_000 }];
  for (let s = 1; s <= SKILL_COUNT; s++) events.push({ type: 'skill.upserted', skillId: String(s), name: SKILL_NAMES[s - 1]!, time: now - 3_600_000 });
  for (let g = 1; g <= GROUP_COUNT; g++) events.push({ type: 'group.upserted', groupId: String(g * 10), name: `Team ${g} (${SKILL_NAMES[g]!})`, time: now - 3_600_000 });
  const timed: ClientEvent[] = [];
  const active: string[] = [];
  let conv = 0;
  for (let i = 0; i < agents; i++) {
    const id = agentId(i);
    const first = FIRST[i % FIRST.length]!;
    const last = LAST[Math.floor(i / FIRST.length) % LAST.length]!;
    const skills = new Set<string>();
    while (skills.size < 3) skills.add(String(1 + pick(SKILL_COUNT)));
    const maxSlots = 2 + pick(7);
    events.push({
      type: 'agent.upserted',
      agentId: id,
      name: `${first} ${last}`,
      nickname: `${first} ${last[0]!}.`,
      loginName: `${first}.${last}.${i}@contact-center.example.com`.toLowerCase(),
      pictureUrl: `https://cdn.contact-center.example.com/agents/${id}/avatar-256x256.png`,
      groupId: String((1 + (i % GROUP_COUNT)) * 10),
      skillIds: [...skills],
      maxSlots,
      time: now - 3_600_000,
    });
    const at = now - 3_000_000 + pick(2_400_000);
    const r = rnd();
    timed.push({ type: 'agent.loggedIn', agentId: id, time: at });
    if (r < 0.1) {
      timed.push({ type: 'agent.loggedOut', agentId: id, time: now - pick(300_000) });
      continue;
    }
    active.push(id);
    if (r < 0.35) timed.push({ type: 'agent.statusChanged', agentId: id, status: 'AWAY', reasonId: String(1 + pick(4)), time: at + pick(now - at) });
    else if (r < 0.45) timed.push({ type: 'agent.statusChanged', agentId: id, status: 'BACK_SOON', time: at + pick(now - at) });
    const convs = opts.conversations === false ? 0 : pick(maxSlots + 1);
    for (let c = 0; c < convs; c++) {
      timed.push({ type: 'conversation.assigned', agentId: id, conversationId: `c${(conv++).toString(36)}`, intense: rnd() < 0.6, time: at + pick(now - at) });
    }
  }
  timed.sort((a, b) => (a.time as number) - (b.time as number));
  return { events: events.concat(timed), active };
}

/**
 * A stream of realistic changes for the agents of `data`: status moves,
 * conversations assigned and closed, intensity flips. Each event carries a
 * unique `eventId`, as a real producer's would. Times are left to the server.
 */
export class Writer {
  private readonly rnd: () => number;
  private n = 0;
  private readonly open: { id: string; agent: string }[] = [];

  constructor(
    private readonly active: readonly string[],
    private readonly prefix: string,
    seed = 11,
  ) {
    this.rnd = prng(seed);
  }

  next(count: number): ClientEvent[] {
    const out: ClientEvent[] = [];
    for (let i = 0; i < count; i++) {
      const agentId = this.active[Math.floor(this.rnd() * this.active.length)]!;
      const eventId = `${this.prefix}-${(this.n++).toString(36)}`;
      const r = this.rnd();
      if (r < 0.3) {
        const s = this.rnd();
        out.push(
          s < 0.5
            ? { type: 'agent.statusChanged', agentId, status: 'ONLINE', eventId }
            : s < 0.85
              ? { type: 'agent.statusChanged', agentId, status: 'AWAY', reasonId: String(1 + Math.floor(this.rnd() * 4)), eventId }
              : { type: 'agent.statusChanged', agentId, status: 'BACK_SOON', eventId },
        );
      } else if (r < 0.6 || this.open.length === 0) {
        const conversationId = `w${eventId}`;
        this.open.push({ id: conversationId, agent: agentId });
        out.push({ type: 'conversation.assigned', agentId, conversationId, intense: this.rnd() < 0.6, eventId });
      } else if (r < 0.85) {
        const c = this.open.splice(Math.floor(this.rnd() * this.open.length), 1)[0]!;
        out.push({ type: 'conversation.unassigned', conversationId: c.id, eventId });
      } else if (r < 0.95) {
        const c = this.open[Math.floor(this.rnd() * this.open.length)]!;
        out.push({ type: 'conversation.activity', conversationId: c.id, intense: this.rnd() < 0.5, eventId });
      } else {
        out.push({ type: 'agent.heartbeat', agentId, eventId });
      }
    }
    return out;
  }
}

/** The filter of `status_query_ratio`: ONLINE or AWAY, with any of 3 skills. */
export const STATUS_FILTER = { status: ['ONLINE', 'AWAY'], skillIds: ['3', '8', '15'] };
