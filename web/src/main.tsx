/**
 * agentview wallboard: sign in, then a live view of every agent of the
 * account, fed by the SSE stream. Updates are applied to a plain Map and
 * rendered at most a few times a second; the table renders only the rows in
 * view, so thousands of agents stay smooth.
 */
import { render } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { followStream, getJson, HttpError, login, logout, refresh, type AgentRecord, type Alert, type ConnectionStatus, type Session, type Status } from './api.js';
import { byGroup, comparator, formatDuration, matches, STATUS_LABEL, STATUSES, summarize, type Filters, type Sort, type SortKey, type Summary } from './model.js';

const SESSION_KEY = 'agentview.session';
const ROW_HEIGHT = 44;
const RENDER_EVERY_MS = 200;
const SAMPLE_EVERY_MS = 10_000;
const HOUR = 3_600_000;

function loadSession(): Session | undefined {
  try {
    const s = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? 'null') as Session | null;
    return s && typeof s.token === 'string' && typeof s.account === 'string' ? s : undefined;
  } catch {
    return undefined;
  }
}

// ------------------------------------------------------------------ sign-in

function SignIn({ onSession, notice }: { onSession: (s: Session) => void; notice: string | undefined }) {
  const [mode, setMode] = useState<'user' | 'token'>('user');
  const [error, setError] = useState<string | undefined>(notice);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.target as HTMLFormElement);
    const field = (name: string): string => {
      const v = form.get(name);
      return typeof v === 'string' ? v : '';
    };
    const account = field('account').trim();
    setBusy(true);
    setError(undefined);
    try {
      let session: Session;
      if (mode === 'user') {
        session = await login(account, field('username'), field('password'));
      } else {
        session = { account, token: field('token').trim(), user: '' };
        await getJson(session, '/agent-view/alerts');
      }
      onSession(session);
    } catch (err) {
      setError(
        err instanceof HttpError
          ? err.status === 401 || err.status === 403
            ? mode === 'user'
              ? 'Wrong account, user name or password.'
              : 'This token is not valid for this account.'
            : err.message
          : 'Cannot reach the server.',
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="signin">
      <form class="signin-card" onSubmit={(e) => void submit(e)}>
        <div class="brand big">
          <span class="logo" aria-hidden="true" />
          agentview
        </div>
        <p class="muted">Live wallboard for your contact center</p>
        <div class="tabs" role="tablist">
          <button type="button" role="tab" aria-selected={mode === 'user'} class={mode === 'user' ? 'on' : ''} onClick={() => setMode('user')}>
            User
          </button>
          <button type="button" role="tab" aria-selected={mode === 'token'} class={mode === 'token' ? 'on' : ''} onClick={() => setMode('token')}>
            Access token
          </button>
        </div>
        <label>
          Account
          <input name="account" required autoComplete="organization" pattern="[A-Za-z0-9_\-]{1,64}" placeholder="1000" />
        </label>
        {mode === 'user' ? (
          <>
            <label>
              User name
              <input name="username" required autoComplete="username" />
            </label>
            <label>
              Password
              <input name="password" type="password" required autoComplete="current-password" />
            </label>
          </>
        ) : (
          <label>
            Bearer token
            <input name="token" type="password" required autoComplete="off" placeholder="admin or API token" />
          </label>
        )}
        {error && (
          <div class="error" role="alert">
            {error}
          </div>
        )}
        <button class="primary" type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </div>
  );
}

// ------------------------------------------------------------------ pieces

function Tiles({ s }: { s: Summary }) {
  const tile = (label: string, value: string | number, cls: string, sub?: string) => (
    <div class={`tile ${cls}`} data-tile={cls}>
      <div class="tile-value">{value}</div>
      <div class="tile-label">{label}</div>
      {sub && <div class="tile-sub">{sub}</div>}
    </div>
  );
  return (
    <section class="tiles">
      {tile('Online', s.counts.ONLINE, 'online', s.loggedIn > 0 ? `${Math.round((100 * s.counts.ONLINE) / s.loggedIn)}% of logged in` : undefined)}
      {tile('Away', s.counts.AWAY, 'away')}
      {tile('Back soon', s.counts.BACK_SOON, 'back_soon')}
      {tile('Recently offline', s.counts.OFFLINE, 'offline', 'last 10 min')}
      {tile('Average load', `${s.avgLoad}%`, 'load', `${s.loggedIn} logged in`)}
      {tile('Open conversations', s.open, 'open', `${s.ringing} ringing · ${s.capacity} slots`)}
      {tile('Disconnected', s.disconnected, s.disconnected > 0 ? 'warn' : 'calm', 'logged in, no heartbeat')}
    </section>
  );
}

function Chart({ samples }: { samples: { t: number; ONLINE: number; AWAY: number; BACK_SOON: number }[] }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const data = useMemo<uPlot.AlignedData>(
    () => [samples.map((x) => x.t / 1000), samples.map((x) => x.ONLINE), samples.map((x) => x.AWAY), samples.map((x) => x.BACK_SOON)],
    [samples],
  );
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const opts: uPlot.Options = {
      width: el.clientWidth,
      height: 190,
      legend: { show: true },
      cursor: { points: { size: 6 } },
      scales: { x: { time: true, range: (_u, min, max) => [Math.max(min, max - 3600), Math.max(max, min + 60)] }, y: { range: (_u, _min, max) => [0, Math.max(5, Math.ceil(max * 1.15))] } },
      axes: [
        { stroke: '#8b98b8', grid: { stroke: 'rgba(139,152,184,0.12)' }, ticks: { stroke: 'rgba(139,152,184,0.2)' } },
        { stroke: '#8b98b8', grid: { stroke: 'rgba(139,152,184,0.12)' }, ticks: { stroke: 'rgba(139,152,184,0.2)' }, size: 44 },
      ],
      series: [
        {},
        { label: 'Online', stroke: '#34d399', fill: 'rgba(52,211,153,0.12)', width: 2 },
        { label: 'Away', stroke: '#fbbf24', fill: 'rgba(251,191,36,0.10)', width: 2 },
        { label: 'Back soon', stroke: '#818cf8', fill: 'rgba(129,140,248,0.10)', width: 2 },
      ],
    };
    const u = new uPlot(opts, data, el);
    plot.current = u;
    const ro = new ResizeObserver(() => u.setSize({ width: el.clientWidth, height: 190 }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = undefined;
    };
    // The plot is created once; data updates go through setData below.
  }, []);
  useEffect(() => plot.current?.setData(data), [data]);
  return <div class="chart" ref={box} />;
}

function Groups({ rows, active, onPick }: { rows: ReturnType<typeof byGroup>; active: string; onPick: (id: string) => void }) {
  return (
    <table class="groups">
      <thead>
        <tr>
          <th>Group</th>
          <th class="num">Online</th>
          <th class="num">Away</th>
          <th class="num">Back soon</th>
          <th class="num">Load</th>
          <th class="num">Open</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((g) => (
          <tr key={g.id} class={active === g.id ? 'picked' : ''} onClick={() => onPick(active === g.id ? '' : g.id)} data-group={g.id}>
            <td>{g.name}</td>
            <td class="num online-text">{g.summary.counts.ONLINE}</td>
            <td class="num away-text">{g.summary.counts.AWAY}</td>
            <td class="num back-text">{g.summary.counts.BACK_SOON}</td>
            <td class="num">
              <span class="mini-bar">
                <span class={loadClass(g.summary.avgLoad)} style={{ width: `${Math.min(100, g.summary.avgLoad)}%` }} />
              </span>
              {g.summary.avgLoad}%
            </td>
            <td class="num">{g.summary.open}</td>
          </tr>
        ))}
        {rows.length === 0 && (
          <tr>
            <td colSpan={6} class="muted">
              No agents yet
            </td>
          </tr>
        )}
      </tbody>
    </table>
  );
}

function Alerts({ alerts, now, names }: { alerts: Alert[]; now: number; names: (id: string) => string | undefined }) {
  if (alerts.length === 0) return <div class="alerts-empty">No active alerts</div>;
  return (
    <ul class="alerts" aria-live="polite">
      {alerts.map((a) => (
        <li key={a.id} class={`alert kind-${a.kind}`} data-alert={a.id}>
          <span class="alert-dot" />
          <span class="alert-msg" title={a.agentId ? `Agent ${names(a.agentId) ?? a.agentId}` : undefined}>
            {a.message}
          </span>
          <span class="alert-time">{formatDuration(now - a.since)}</span>
        </li>
      ))}
    </ul>
  );
}

function loadClass(load: number): string {
  return load >= 90 ? 'hot' : load >= 70 ? 'warm' : 'cool';
}

const COLUMNS: { key: SortKey; label: string; cls?: string }[] = [
  { key: 'name', label: 'Agent' },
  { key: 'group', label: 'Group' },
  { key: 'name', label: 'Skills', cls: 'nosort' },
  { key: 'status', label: 'Status' },
  { key: 'time', label: 'In status' },
  { key: 'load', label: 'Load' },
  { key: 'slots', label: 'Busy · Ring / Max' },
  { key: 'open', label: 'Open', cls: 'num' },
  { key: 'intense', label: 'Intense', cls: 'num' },
];

function Row({ a, now, top }: { a: AgentRecord; now: number; top: number }) {
  const disconnected = a.currentStatus !== 'OFFLINE' && a.currentConnectionState === 'DISCONNECTED';
  const skills = a.agentSkills;
  return (
    <div class={`row status-${a.currentStatus.toLowerCase()}${disconnected ? ' disconnected' : ''}`} style={{ transform: `translateY(${top}px)` }} data-agent-id={a.agentId} role="row">
      <div class="cell name" data-col="name" role="cell">
        <span class="avatar" aria-hidden="true">
          {initials(a.agentName)}
        </span>
        <span class="name-text">
          <span class="agent-name">{a.agentName}</span>
          <span class="agent-login">{a.agentLoginName}</span>
        </span>
      </div>
      <div class="cell" data-col="group" role="cell">
        {a.agentGroupName}
      </div>
      <div class="cell skills" data-col="skills" role="cell" title={skills.map((s) => s.skillName).join(', ')}>
        {skills.slice(0, 3).map((s) => (
          <span class="chip" key={s.skillId}>
            {s.skillName}
          </span>
        ))}
        {skills.length > 3 && <span class="chip more">+{skills.length - 3}</span>}
      </div>
      <div class="cell" data-col="status" data-status={a.currentStatus} role="cell">
        <span class={`badge ${a.currentStatus.toLowerCase()}`}>
          {STATUS_LABEL[a.currentStatus]}
          {a.currentStatusReason !== undefined && <span class="reason">· {a.currentStatusReason}</span>}
        </span>
        {disconnected && (
          <span class="conn" title="No heartbeat: disconnected">
            ⚡ disconnected
          </span>
        )}
      </div>
      <div class="cell mono" data-col="time" role="cell">
        {formatDuration(now - a.currentStatusStartTimeL)}
      </div>
      <div class="cell" data-col="load" role="cell">
        <span class="bar">
          <span class={loadClass(a.load)} style={{ width: `${Math.min(100, a.load)}%` }} />
        </span>
        <span class="mono load-text">{a.load}%</span>
      </div>
      <div class="cell mono" data-col="slots" role="cell">
        <b>{a.busySlots}</b> · <span class={a.ringingSlots > 0 ? 'ringing' : 'dim'}>{a.ringingSlots}</span> <span class="dim">/ {a.configuredMaxSlots}</span>
      </div>
      <div class="cell mono num" data-col="open" role="cell">
        {a.openAssignedConversations}
      </div>
      <div class="cell mono num" data-col="intense" role="cell">
        {a.intenseConversations}
      </div>
    </div>
  );
}

function initials(name: string): string {
  const parts = name.trim().split(/\s+/);
  return ((parts[0]?.[0] ?? '') + (parts.length > 1 ? (parts[parts.length - 1]?.[0] ?? '') : '')).toUpperCase() || '?';
}

function AgentTable({ list, now, sort, onSort }: { list: AgentRecord[]; now: number; sort: Sort; onSort: (k: SortKey) => void }) {
  const scroller = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);
  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    setHeight(el.clientHeight);
    return () => ro.disconnect();
  }, []);
  const overscan = 8;
  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - overscan);
  const last = Math.min(list.length, Math.ceil((scrollTop + height) / ROW_HEIGHT) + overscan);
  const rows = [];
  // Keys by slot (i mod 128, more than ever fit on screen): rows scrolled out give their DOM to rows scrolled in.
  for (let i = first; i < last; i++) rows.push(<Row key={i % 128} a={list[i]!} now={now} top={i * ROW_HEIGHT} />);
  return (
    <div class="table" role="table" aria-rowcount={list.length}>
      <div class="thead" role="row">
        {COLUMNS.map((c) =>
          c.cls === 'nosort' ? (
            <div class="th" key={c.label} role="columnheader">
              {c.label}
            </div>
          ) : (
            <button
              type="button"
              class={`th sortable ${c.cls ?? ''} ${sort.key === c.key ? 'sorted' : ''}`}
              key={c.label}
              data-sort={c.key}
              aria-pressed={sort.key === c.key}
              title={`Sort by ${c.label}`}
              onClick={() => onSort(c.key)}
            >
              {c.label}
              <span class="arrow">{sort.key === c.key ? (sort.desc ? '▼' : '▲') : ''}</span>
            </button>
          ),
        )}
      </div>
      <div class="tbody" ref={scroller} onScroll={(e) => setScrollTop((e.target as HTMLDivElement).scrollTop)}>
        <div class="spacer" style={{ height: `${list.length * ROW_HEIGHT}px` }}>
          {rows}
        </div>
        {list.length === 0 && <div class="empty">No agent matches these filters</div>}
      </div>
    </div>
  );
}

// ------------------------------------------------------------------ board

function Board({ session, onSignOut, onExpired }: { session: Session; onSignOut: () => void; onExpired: (why: string) => void }) {
  const agents = useRef(new Map<string, AgentRecord>());
  const alerts = useRef(new Map<string, Alert>());
  const skew = useRef(0);
  const [version, setVersion] = useState(0);
  const [conn, setConn] = useState<ConnectionStatus>('connecting');
  const [now, setNow] = useState(Date.now());
  const [filters, setFilters] = useState<Filters>({ statuses: new Set(), group: '', skill: '', text: '' });
  const [sort, setSort] = useState<Sort>({ key: 'status', desc: false });
  const [samples, setSamples] = useState<{ t: number; ONLINE: number; AWAY: number; BACK_SOON: number }[]>([]);

  useEffect(() => {
    let pending = false;
    const schedule = () => {
      if (pending) return;
      pending = true;
      setTimeout(() => {
        pending = false;
        setVersion((v) => v + 1);
      }, RENDER_EVERY_MS);
    };
    const stream = followStream(session, {
      onEvents(events) {
        for (const e of events) {
          switch (e.type) {
            case 'snapshot': {
              agents.current = new Map(e.records.map((r) => [r.agentId, r]));
              const r0 = e.records[0];
              if (r0) skew.current = r0.currentStatusStartTimeL + r0.currentStatusDuration - Date.now();
              break;
            }
            case 'upsert':
              agents.current.set(e.record.agentId, e.record);
              break;
            case 'remove':
              agents.current.delete(e.agentId);
              break;
            case 'alerts':
              alerts.current = new Map(e.alerts.map((a) => [a.id, a]));
              break;
            case 'alert':
              if (e.change === 'raised') alerts.current.set(e.alert.id, e.alert);
              else alerts.current.delete(e.alert.id);
              break;
          }
        }
        schedule();
      },
      onStatus(status, detail) {
        setConn(status);
        if (status === 'unauthorized') onExpired(detail ?? 'Your session has ended; sign in again.');
      },
    });
    const tick = setInterval(() => setNow(Date.now() + skew.current), 1000);
    getJson<{ samples: typeof samples }>(session, '/agent-view/status-counts')
      .then((r) => setSamples((cur) => [...r.samples, ...cur].sort((a, b) => a.t - b.t)))
      .catch(() => undefined);
    return () => {
      stream.stop();
      clearInterval(tick);
    };
  }, [session, onExpired]);

  const all = useMemo(() => [...agents.current.values()], [version]);
  const summary = useMemo(() => summarize(all), [all]);
  const groups = useMemo(() => byGroup(all), [all]);
  const skills = useMemo(() => {
    const m = new Map<string, string>();
    for (const a of all) for (const s of a.agentSkills) m.set(s.skillId, s.skillName);
    return [...m].sort((a, b) => a[1].localeCompare(b[1]));
  }, [all]);
  const list = useMemo(() => all.filter((a) => matches(a, filters)).sort(comparator(sort)), [all, filters, sort]);
  const activeAlerts = useMemo(() => [...alerts.current.values()].sort((a, b) => a.since - b.since), [version]);

  // Keep a Login API session alive: extend it when a third of its life is left.
  useEffect(() => {
    if (session.user === '' || session.expiresAt === undefined) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let expiresAt = session.expiresAt;
    const plan = () => {
      const left = expiresAt - (Date.now() + skew.current);
      timer = setTimeout(() => {
        refresh(session).then(
          (next) => {
            expiresAt = next;
            sessionStorage.setItem(SESSION_KEY, JSON.stringify({ ...session, expiresAt: next }));
            plan();
          },
          () => {
            // Try again in a minute; the stream reports a 401 if the session is really gone.
            timer = setTimeout(plan, 60_000);
          },
        );
      }, Math.max(5_000, Math.min(left - left / 3, 2 ** 31 - 1)));
    };
    plan();
    return () => clearTimeout(timer);
  }, [session]);

  const latest = useRef(summary);
  latest.current = summary;
  useEffect(() => {
    const take = () => {
      const s = latest.current;
      if (s.total === 0) return;
      const sample = { t: Date.now() + skew.current, ONLINE: s.counts.ONLINE, AWAY: s.counts.AWAY, BACK_SOON: s.counts.BACK_SOON };
      setSamples((cur) => [...cur.filter((x) => x.t >= sample.t - HOUR), sample]);
    };
    // A first point as soon as the snapshot is in, then one every 10 s.
    const first = setTimeout(take, 1500);
    const t = setInterval(take, SAMPLE_EVERY_MS);
    return () => {
      clearTimeout(first);
      clearInterval(t);
    };
  }, []);

  const toggleStatus = (s: Status) =>
    setFilters((f) => {
      const next = new Set(f.statuses);
      if (next.has(s)) next.delete(s);
      else next.add(s);
      return { ...f, statuses: next };
    });
  const onSort = (key: SortKey) => setSort((s) => (s.key === key ? { key, desc: !s.desc } : { key, desc: key === 'load' || key === 'time' || key === 'open' || key === 'intense' || key === 'slots' }));
  const names = (id: string) => agents.current.get(id)?.agentName;

  return (
    <div class="board">
      <header class="top">
        <div class="brand">
          <span class="logo" aria-hidden="true" />
          agentview
        </div>
        <div class="account">
          Account <b>{session.account}</b>
          {session.user && <span class="muted"> · {session.user}</span>}
        </div>
        <div class={`conn-state ${conn}`} data-conn={conn}>
          <span class="pulse" />
          {conn === 'live' ? 'Live' : conn === 'connecting' ? 'Connecting…' : conn === 'reconnecting' ? 'Reconnecting…' : 'Signed out'}
        </div>
        <div class="clock mono">{new Date(now).toLocaleTimeString()}</div>
        <button type="button" class="ghost" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <Tiles s={summary} />
      <section class="panels">
        <div class="panel chart-panel">
          <h2>Agents by status · last hour</h2>
          <Chart samples={samples} />
        </div>
        <div class="panel">
          <h2>Groups</h2>
          <Groups rows={groups} active={filters.group} onPick={(g) => setFilters((f) => ({ ...f, group: g }))} />
        </div>
        <div class="panel">
          <h2>
            Active alerts <span class={`count ${activeAlerts.length > 0 ? 'hot' : ''}`}>{activeAlerts.length}</span>
          </h2>
          <Alerts alerts={activeAlerts} now={now} names={names} />
        </div>
      </section>
      <section class="filters">
        <div class="chips" role="group" aria-label="Status">
          {STATUSES.map((s) => (
            <button
              type="button"
              key={s}
              class={`chip-toggle ${s.toLowerCase()} ${filters.statuses.has(s) ? 'on' : ''}`}
              aria-pressed={filters.statuses.has(s)}
              data-filter-status={s}
              onClick={() => toggleStatus(s)}
            >
              {STATUS_LABEL[s]} <span class="n">{summary.counts[s]}</span>
            </button>
          ))}
        </div>
        <select name="group" value={filters.group} onChange={(e) => setFilters((f) => ({ ...f, group: (e.target as HTMLSelectElement).value }))}>
          <option value="">All groups</option>
          {groups.map((g) => (
            <option key={g.id} value={g.id}>
              {g.name}
            </option>
          ))}
        </select>
        <select name="skill" value={filters.skill} onChange={(e) => setFilters((f) => ({ ...f, skill: (e.target as HTMLSelectElement).value }))}>
          <option value="">All skills</option>
          {skills.map(([id, name]) => (
            <option key={id} value={id}>
              {name}
            </option>
          ))}
        </select>
        <input
          name="search"
          type="search"
          placeholder="Search agents…"
          value={filters.text}
          onInput={(e) => setFilters((f) => ({ ...f, text: (e.target as HTMLInputElement).value }))}
        />
        <span class="shown" data-shown={list.length}>
          {list.length} of {all.length} agents
        </span>
      </section>
      <AgentTable list={list} now={now} sort={sort} onSort={onSort} />
    </div>
  );
}

function App() {
  const [session, setSession] = useState<Session | undefined>(loadSession);
  const [notice, setNotice] = useState<string | undefined>();
  const onExpired = useMemo(
    () => (why: string) => {
      sessionStorage.removeItem(SESSION_KEY);
      setNotice(why);
      setSession(undefined);
    },
    [],
  );
  if (!session) {
    return (
      <SignIn
        notice={notice}
        onSession={(s) => {
          sessionStorage.setItem(SESSION_KEY, JSON.stringify(s));
          setNotice(undefined);
          setSession(s);
        }}
      />
    );
  }
  return (
    <Board
      session={session}
      onExpired={onExpired}
      onSignOut={() => {
        void logout(session);
        sessionStorage.removeItem(SESSION_KEY);
        setSession(undefined);
      }}
    />
  );
}

render(<App />, document.getElementById('app')!);
