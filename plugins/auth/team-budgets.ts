/**
 * Team budgets, as in force now: the config's (`auth({ teams })`) and those set while running (the
 * admin API, the dashboard), which are stored, shared by replicas, and win over the config's for
 * their team. A request reads them synchronously (`get`); the stored ones are read again in the
 * background every `refreshMs`, so a change made on one replica holds on the others that much
 * later. A budget that did not change keeps its object, so the windows made for it
 * (budget.ts, by budget object) are not made again.
 */
import { GatewayError, type Logger } from 'llm-gateway/plugin';
import type { Store, TypedKv } from 'llm-gateway/store';
import type { KeyBudget } from './keys.js';

/** Teams given a budget while running, at most: each is a row of the Keys page and a read of every refresh. */
export const MAX_STORED_TEAMS = 1_000;

/** `budgets`, and `version`, which changes with every write: a refresh reads the small one, and the record only when it moved. */
type TeamRecords = { budgets: Record<string, KeyBudget>; version: string };

export interface TeamBudget {
  team: string;
  budget: KeyBudget;
  /** `admin`: set while running (stored); `config`: from `auth({ teams })`. */
  source: 'admin' | 'config';
}

export class TeamBudgets {
  private readonly kv: TypedKv<TeamRecords>;
  private stored: Readonly<Record<string, KeyBudget>> = {};
  private current: ReadonlyMap<string, KeyBudget>;
  private version: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failing = false;
  /** Bumped by every change made here: a refresh that began before one does not apply what it read. */
  private generation = 0;
  private refreshing = false;

  constructor(
    private readonly store: Store,
    private readonly fromConfig: ReadonlyMap<string, KeyBudget>,
    private readonly logger: Logger,
  ) {
    this.kv = store.kv<TeamRecords>('teams');
    this.current = fromConfig;
  }

  /** The team's budget in force, if it has one. */
  get(team: string): KeyBudget | undefined {
    return this.current.get(team);
  }

  list(): TeamBudget[] {
    return [...this.current].map(([team, budget]) => ({ team, budget, source: Object.hasOwn(this.stored, team) ? 'admin' : 'config' }));
  }

  /** Reads the stored budgets now, then every `refreshMs` until `close`. */
  async start(refreshMs: number): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), refreshMs);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
  }

  /** Gives the team this budget (stored: on every replica within `refreshMs`), over the config's if it has one. */
  async set(team: string, budget: KeyBudget): Promise<TeamBudget> {
    await this.change((budgets) => {
      if (!Object.hasOwn(budgets, team) && Object.keys(budgets).length >= MAX_STORED_TEAMS) {
        throw new GatewayError('invalid_request', `At most ${MAX_STORED_TEAMS} teams can be given a budget here; remove one first.`, { code: 'too_many_teams', status: 409 });
      }
      return { ...budgets, [team]: budget };
    });
    return { team, budget: this.current.get(team)!, source: 'admin' };
  }

  /** Removes the budget set while running: the config's applies again, if it has one. False when none was set. */
  async remove(team: string): Promise<boolean> {
    let found = false;
    await this.change((budgets) => {
      found = Object.hasOwn(budgets, team);
      const rest = { ...budgets };
      delete rest[team];
      return rest;
    });
    return found;
  }

  /** A read-modify-write of the stored budgets, one replica at a time. */
  private async change(edit: (budgets: Record<string, KeyBudget>) => Record<string, KeyBudget>): Promise<void> {
    await this.store.exclusive('teams:budgets', async () => {
      const next = edit({ ...((await this.kv.get('budgets')) ?? {}) });
      const version = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
      await this.kv.set('budgets', next);
      await this.kv.set('version', version);
      this.generation++;
      this.version = version;
      this.apply(next);
    });
  }

  /**
   * Reads the stored budgets when their version moved; where the store does not answer, the last
   * ones read stay in force. One at a time, and what a read that a change here overtook brought
   * back is not applied.
   */
  async refresh(): Promise<void> {
    if (this.refreshing) return;
    this.refreshing = true;
    const generation = this.generation;
    try {
      const version = await this.kv.get('version');
      if (version !== this.version) {
        // No version: nothing was ever given while running (it is written after the budgets).
        const stored = version === undefined ? {} : ((await this.kv.get('budgets')) ?? {});
        if (generation === this.generation) {
          this.version = version;
          this.apply(stored);
        }
      }
      this.failing = false;
    } catch (error) {
      if (!this.failing) this.logger.warn('could not read the team budgets; the last ones read stay in force', { error: (error as Error).message });
      this.failing = true;
    } finally {
      this.refreshing = false;
    }
  }

  /** Called only when the stored budgets moved (a new version, a change here); an unchanged team keeps its object. */
  private apply(stored: Readonly<Record<string, KeyBudget>>): void {
    const previous = this.current;
    const merged = new Map(this.fromConfig);
    for (const [team, budget] of Object.entries(stored)) {
      const before = previous.get(team);
      merged.set(team, before && JSON.stringify(before) === JSON.stringify(budget) ? before : budget);
    }
    this.stored = stored;
    this.current = merged;
  }
}
