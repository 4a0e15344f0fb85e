/**
 * A contact-center simulator: agents in groups with skills log in, change
 * status with away reasons, take and close conversations at realistic rates.
 * It produces client-shaped ingest bodies and hands them to a sink (the
 * in-process ingest path for the demo, HTTP for load tests).
 */

/** A client-shaped ingest event (what POST /events accepts). */
export type SimEvent = Record<string, unknown> & { type: string };

export type Sink = (events: SimEvent[]) => Promise<void>;

export interface SimOptions {
  agents: number;
  /** Seed of the pseudo-random generator: the same seed gives the same run. */
  seed?: number;
  /** Mean conversation handling time. */
  handleTimeMs?: number;
  /** Fraction of agents that aim to be logged in. */
  staffedRatio?: number;
}

/** mulberry32: small, fast, good enough for simulation. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const SIM_GROUPS = [
  ['10', 'Billing'],
  ['20', 'Sales'],
  ['30', 'Technical support'],
  ['40', 'VIP care'],
  ['50', 'Night shift'],
] as const;

export const SIM_SKILLS = [
  ['1', 'billing'],
  ['2', 'sales'],
  ['3', 'tech-tier1'],
  ['4', 'tech-tier2'],
  ['5', 'vip'],
  ['6', 'spanish'],
  ['7', 'french'],
  ['8', 'whatsapp'],
  ['9', 'sms'],
  ['10', 'retention'],
] as const;

const AWAY_REASONS = ['1', '2', '3', '4']; // lunch, break, meeting, training
const FIRST = ['Maya', 'Noa', 'Lior', 'Dana', 'Omer', 'Yael', 'Ariel', 'Tamar', 'Eden', 'Roni', 'Sam', 'Alex', 'Jordan', 'Taylor', 'Chris', 'Kim', 'Lee', 'Robin', 'Avery', 'Quinn'];
const LAST = ['Levi', 'Cohen', 'Mizrahi', 'Peretz', 'Biton', 'Dahan', 'Smith', 'Garcia', 'Martin', 'Rossi', 'Novak', 'Kowalski', 'Silva', 'Tanaka', 'Ahmed', 'Okafor'];

interface SimAgent {
  id: string;
  maxSlots: number;
  loggedIn: boolean;
  status: 'ONLINE' | 'AWAY' | 'BACK_SOON';
  lastHeartbeat: number;
  /** Stops sending heartbeats for a while (shows DISCONNECTED). */
  flakyUntil: number;
  convs: Set<string>;
}

interface SimConversation {
  id: string;
  agent: string;
  state: 'ringing' | 'assigned';
  until: number;
  intense: boolean;
}

/** Snapshot of an agent's live state, to resume a simulation over existing data. */
export interface ResumeAgent {
  id: string;
  loggedIn: boolean;
  status: string;
}

/** An open conversation found in existing data; the simulator takes it over and closes it in time. */
export interface ResumeConversation {
  id: string;
  agentId: string;
  state: 'ringing' | 'assigned';
  intense: boolean;
}

export class Simulator {
  private readonly rnd: () => number;
  private readonly agents: SimAgent[] = [];
  private readonly agentsById = new Map<string, SimAgent>();
  private readonly convs = new Map<string, SimConversation>();
  private convCounter = 0;
  private readonly handleTimeMs: number;
  private readonly staffed: number;

  constructor(private readonly opts: SimOptions) {
    this.rnd = prng(opts.seed ?? 1);
    this.handleTimeMs = opts.handleTimeMs ?? 4 * 60_000;
    this.staffed = opts.staffedRatio ?? 0.85;
    for (let i = 1; i <= opts.agents; i++) {
      this.agents.push({
        id: String(1000 + i),
        maxSlots: [2, 3, 4, 4, 5, 6][i % 6]!,
        loggedIn: false,
        status: 'ONLINE',
        lastHeartbeat: 0,
        flakyUntil: 0,
        convs: new Set(),
      });
    }
    for (const a of this.agents) this.agentsById.set(a.id, a);
    this.convCounter = Math.floor(this.rnd() * 1e6);
  }

  /** A conversation id not open in this simulation (ids may repeat those of a previous run). */
  private nextConversationId(): string {
    let id: string;
    do id = `c${(this.convCounter++).toString(36)}`;
    while (this.convs.has(id));
    return id;
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rnd() * xs.length)]!;
  }

  /**
   * The catalog (skills, groups, agents) and, for a fresh account, log-ins
   * spread over the past `historyMs` so durations look lived-in. With
   * `resume`, agents continue from their stored state instead.
   */
  setup(now: number, resume?: readonly ResumeAgent[], historyMs = 2 * 3_600_000, conversations: readonly ResumeConversation[] = []): SimEvent[] {
    const out: SimEvent[] = [];
    const t0 = now - historyMs;
    for (const [skillId, name] of SIM_SKILLS) out.push({ type: 'skill.upserted', skillId, name, time: t0 });
    for (const [groupId, name] of SIM_GROUPS) out.push({ type: 'group.upserted', groupId, name, time: t0 });
    this.agents.forEach((a, i) => {
      const first = FIRST[i % FIRST.length]!;
      const last = LAST[Math.floor(i / FIRST.length) % LAST.length]!;
      const group = SIM_GROUPS[i % SIM_GROUPS.length]![0];
      const skills = new Set<string>([SIM_SKILLS[i % 5]![0], this.pick(SIM_SKILLS)[0], this.pick(SIM_SKILLS)[0]]);
      out.push({
        type: 'agent.upserted',
        agentId: a.id,
        name: `${first} ${last}`,
        nickname: first,
        loginName: `${first}.${last}${i}@example.com`.toLowerCase(),
        groupId: group,
        skillIds: [...skills],
        maxSlots: a.maxSlots,
        time: t0,
      });
    });
    if (resume) {
      const byId = new Map(resume.map((r) => [r.id, r]));
      for (const a of this.agents) {
        const r = byId.get(a.id);
        if (r?.loggedIn) {
          a.loggedIn = true;
          a.status = r.status === 'AWAY' || r.status === 'BACK_SOON' ? r.status : 'ONLINE';
          a.lastHeartbeat = now;
          out.push({ type: 'agent.heartbeat', agentId: a.id, time: now });
        }
      }
      // Conversations left open by the previous run are taken over, so they close
      // in time instead of holding slots forever, and new ids never collide with them.
      for (const c of conversations) {
        const a = this.agentsById.get(c.agentId);
        if (!a || this.convs.has(c.id)) continue;
        const until = c.state === 'ringing' ? now + this.rnd() * 5000 : now + this.handleTimeMs * this.rnd();
        this.convs.set(c.id, { id: c.id, agent: a.id, state: c.state, until, intense: c.intense });
        a.convs.add(c.id);
      }
      return out;
    }
    const logins: SimEvent[] = [];
    for (const a of this.agents) {
      if (this.rnd() > this.staffed) continue;
      const at = t0 + Math.floor(this.rnd() * (historyMs - 60_000));
      a.loggedIn = true;
      a.lastHeartbeat = now;
      const r = this.rnd();
      a.status = r < 0.7 ? 'ONLINE' : r < 0.9 ? 'AWAY' : 'BACK_SOON';
      logins.push({ type: 'agent.loggedIn', agentId: a.id, time: at });
      if (a.status !== 'ONLINE') {
        const changeAt = at + Math.floor(this.rnd() * (now - at));
        logins.push({
          type: 'agent.statusChanged',
          agentId: a.id,
          status: a.status,
          ...(a.status === 'AWAY' ? { reasonId: this.pick(AWAY_REASONS) } : {}),
          time: changeAt,
        });
      }
      // Agents already at work: a newcomer sees load and busy slots at once.
      const busy = a.status === 'BACK_SOON' ? 0 : Math.floor(this.rnd() * (a.maxSlots + 1) * 0.8);
      for (let k = 0; k < busy; k++) {
        const id = this.nextConversationId();
        const intense = this.rnd() < 0.7;
        this.convs.set(id, { id, agent: a.id, state: 'assigned', until: now + this.handleTimeMs * (0.1 + this.rnd()), intense });
        a.convs.add(id);
        const assignedAt = at + Math.floor(this.rnd() * (now - at));
        logins.push({ type: 'conversation.assigned', agentId: a.id, conversationId: id, intense, time: assignedAt });
      }
      logins.push({ type: 'agent.heartbeat', agentId: a.id, time: now });
    }
    // Stable: an agent's log-in stays before what happens to it at the same instant.
    logins.sort((x, y) => (x.time as number) - (y.time as number));
    return out.concat(logins);
  }

  /** Events for one tick of `dtMs` ending at `now`. */
  tick(now: number, dtMs: number): SimEvent[] {
    const out: SimEvent[] = [];
    const perSec = dtMs / 1000;
    for (const a of this.agents) {
      if (!a.loggedIn) {
        if (this.rnd() < 0.004 * perSec * (this.staffed / (1 - this.staffed + 0.01))) {
          a.loggedIn = true;
          a.status = 'ONLINE';
          a.lastHeartbeat = now;
          out.push({ type: 'agent.loggedIn', agentId: a.id, time: now });
        }
        continue;
      }
      const r = this.rnd();
      if (r < 0.0008 * perSec && a.convs.size === 0) {
        a.loggedIn = false;
        out.push({ type: 'agent.loggedOut', agentId: a.id, time: now });
        for (const cid of a.convs) this.convs.delete(cid);
        a.convs.clear();
        continue;
      }
      if (r < 0.01 * perSec) {
        const next = a.status === 'ONLINE' ? (this.rnd() < 0.75 ? 'AWAY' : 'BACK_SOON') : 'ONLINE';
        a.status = next;
        out.push({
          type: 'agent.statusChanged',
          agentId: a.id,
          status: next,
          ...(next === 'AWAY' ? { reasonId: this.pick(AWAY_REASONS) } : {}),
          time: now,
        });
      }
      if (a.flakyUntil === 0 && this.rnd() < 0.0003 * perSec) a.flakyUntil = now + 90_000;
      if (a.flakyUntil !== 0 && now >= a.flakyUntil) a.flakyUntil = 0;
      if (a.flakyUntil === 0 && now - a.lastHeartbeat >= 20_000) {
        a.lastHeartbeat = now;
        out.push({ type: 'agent.heartbeat', agentId: a.id, time: now });
      }
      // New offers for available agents with room.
      if (a.status === 'ONLINE' && a.convs.size < a.maxSlots && this.rnd() < (a.maxSlots / this.handleTimeMs) * 1000 * perSec * 0.8) {
        const id = this.nextConversationId();
        this.convs.set(id, { id, agent: a.id, state: 'ringing', until: now + 2000 + this.rnd() * 8000, intense: true });
        a.convs.add(id);
        out.push({ type: 'conversation.offered', agentId: a.id, conversationId: id, time: now });
      }
    }
    for (const c of this.convs.values()) {
      const a = this.agentsById.get(c.agent);
      if (!a) continue;
      if (c.state === 'ringing' && now >= c.until) {
        if (this.rnd() < 0.9) {
          c.state = 'assigned';
          c.until = now + this.handleTimeMs * (0.3 + this.rnd() * 1.4);
          out.push({ type: 'conversation.assigned', agentId: c.agent, conversationId: c.id, time: now });
        } else {
          out.push({ type: 'conversation.offerEnded', conversationId: c.id, outcome: this.rnd() < 0.5 ? 'declined' : 'timeout', time: now });
          this.convs.delete(c.id);
          a.convs.delete(c.id);
        }
      } else if (c.state === 'assigned') {
        if (now >= c.until) {
          out.push({ type: 'conversation.unassigned', conversationId: c.id, time: now });
          this.convs.delete(c.id);
          a.convs.delete(c.id);
        } else if (this.rnd() < 0.02 * perSec) {
          c.intense = !c.intense;
          out.push({ type: 'conversation.activity', conversationId: c.id, intense: c.intense, time: now });
        }
      }
    }
    return out;
  }
}

/** Runs a simulator against a sink every `intervalMs` until stopped. */
export function runSimulation(
  sim: Simulator,
  sink: Sink,
  clock: { now(): number },
  intervalMs = 1000,
  onError: (e: unknown) => void = () => undefined,
): { stop(): Promise<void> } {
  let last = clock.now();
  let running: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    const now = clock.now();
    const events = sim.tick(now, now - last);
    last = now;
    if (events.length === 0) return;
    running = running.then(async () => {
      for (let i = 0; i < events.length; i += 1000) await sink(events.slice(i, i + 1000));
    }).catch(onError);
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
