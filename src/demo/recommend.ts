/** The Recommend tab: a user's top-rated items beside their top-k, and "you" mode with live fold-in. */
import type { EngineClient } from './client.ts';
import { $, h, itemRow } from './dom.ts';
import type { ItemInfo, ScoredItem, UserInfo } from './protocol.ts';

export class RecommendTab {
  private readonly mine = new Map<number, { title: string; value: number }>();
  private searchTimer = 0;
  private scale: [number, number] = [1, 5];
  private popular: ItemInfo[] = [];
  private implicit = false;
  private stale = false;

  constructor(private readonly engine: EngineClient) {
    $('user-go').addEventListener('click', () => this.showUser());
    $('user-pick').addEventListener('change', () => {
      ($('user-index') as HTMLInputElement).value = '';
      this.showUser();
    });
    $('user-index').addEventListener('keydown', (e) => {
      if ((e as KeyboardEvent).key === 'Enter') this.showUser();
    });
    $('rank-by').addEventListener('change', () => {
      this.showUser();
      if (this.mine.size) this.foldIn();
    });
    engine.on('userResult', (m) => {
      this.showRanker(m.rankedBy, m.implicitScores);
      $('user-rated').replaceChildren(...m.rated.map((r) => itemRow(r.title, `★ ${r.rating}`)));
      $('user-recs').replaceChildren(...m.recs.map((r) => this.recRow(r)));
      if (m.nRated > m.rated.length) $('user-rated').append(h('li', { class: 'muted small' }, `… and ${m.nRated - m.rated.length} more`));
    });
    const search = $('you-search') as HTMLInputElement;
    search.addEventListener('input', () => {
      clearTimeout(this.searchTimer);
      this.searchTimer = window.setTimeout(() => this.engine.send({ type: 'search', query: search.value, limit: 30, channel: 'you' }), 120);
    });
    engine.on('searchResult', (m) => {
      if (m.channel !== 'you' || m.query !== search.value) return;
      this.renderCandidates(m.query.trim() ? m.items : this.popular);
    });
    engine.on('foldInResult', (m) => {
      this.showRanker(m.rankedBy, m.implicitScores);
      $('you-recs').replaceChildren(...m.recs.map((r: ScoredItem) => this.recRow(r)));
      $('you-recs').dataset.ratings = String(m.nRatings); // which fold-in this list answers
      $('you-timing').textContent = `fold-in + top-k: ${m.ms.toFixed(1)} ms`;
    });
  }

  private rankBy(): 'ranking' | 'explicit' {
    return ($('rank-by') as HTMLSelectElement).value === 'explicit' ? 'explicit' : 'ranking';
  }

  /** Which model ranked, as the worker says (describeRanker, the words evaluate and the CLI use). */
  private showRanker(rankedBy: string, implicitScores: boolean): void {
    $('ranked-by').textContent = rankedBy;
    this.implicit = implicitScores;
    for (const id of ['user-recs-unit', 'you-recs-unit']) $(id).textContent = implicitScores ? 'preference score' : 'predicted rating (unclipped)';
  }

  /**
   * A recommendation with the model's score: for explicit models the predicted rating before
   * clipping to the scale (clipping would tie the top of the list at the maximum), for implicit
   * ones the preference score.
   */
  private recRow(r: ScoredItem): HTMLLIElement {
    const li = itemRow(r.title, r.score.toFixed(this.implicit ? 3 : 2));
    li.title = this.implicit ? 'preference score (implicit model)' : 'predicted rating, before clipping to the scale';
    return li;
  }

  setData(users: UserInfo[], popular: ItemInfo[], scale?: [number, number]): void {
    this.scale = scale ?? [1, 5];
    this.popular = popular;
    this.mine.clear();
    const pick = $('user-pick') as HTMLSelectElement;
    pick.replaceChildren(...users.map((u) => h('option', { value: String(u.index) }, `user ${u.id} — ${u.count} ratings`)));
    ($('user-index') as HTMLInputElement).max = String(Math.max(0, users.length ? Math.max(...users.map((u) => u.index)) : 0));
    for (const id of ['user-rated', 'user-recs', 'you-recs']) $(id).replaceChildren();
    ($('you-search') as HTMLInputElement).value = '';
    this.renderCandidates(popular);
    this.renderMine();
  }

  /** The item filter changed: ask again. */
  refresh(): void {
    if (this.implicit !== undefined) this.modelChanged(this.implicit);
  }

  /**
   * A model was trained (implicit: its scores are preferences, not ratings): refresh what is on
   * screen, or, while the tab is hidden, when it is next shown (the first request fits the ranking
   * model in the worker: no GPU work behind the page's back while another run trains).
   */
  modelChanged(implicit: boolean): void {
    this.implicit = implicit;
    for (const id of ['user-recs-unit', 'you-recs-unit']) $(id).textContent = implicit ? 'preference score' : 'predicted rating (unclipped)';
    $('ranked-by').textContent = '—';
    if ($('tab-recommend').hidden) {
      this.stale = true;
      return;
    }
    this.stale = false;
    this.showUser();
    if (this.mine.size) this.foldIn();
  }

  /** The tab is shown: catch up with a model trained while it was hidden. */
  shown(): void {
    if (this.stale) this.modelChanged(this.implicit);
  }

  showUser(): void {
    const typed = ($('user-index') as HTMLInputElement).value;
    const user = typed !== '' ? Number(typed) : Number(($('user-pick') as HTMLSelectElement).value);
    if (!Number.isInteger(user)) return;
    const k = Math.max(1, Math.min(100, Number(($('user-k') as HTMLInputElement).value) || 10));
    this.engine.send({ type: 'user', user, k, rankBy: this.rankBy() });
  }

  private stars(item: ItemInfo): HTMLElement {
    const box = h('span', { class: 'stars' });
    const [lo, hi] = this.scale;
    // Five stars: 1..5 when the scale holds them (MovieLens), else five even steps on a half-point grid.
    const steps = lo <= 1 && hi >= 5 ? [1, 2, 3, 4, 5] : [0, 1, 2, 3, 4].map((s) => Math.round((lo + ((hi - lo) * s) / 4) * 2) / 2);
    for (const v of steps) {
      const b = h('button', { type: 'button', title: `rate ${v}` }, String(v));
      if (this.mine.get(item.index)?.value === v) b.classList.add('on');
      b.addEventListener('click', (e) => {
        e.stopPropagation();
        this.mine.set(item.index, { title: item.title, value: v });
        for (const o of box.querySelectorAll('button')) o.classList.toggle('on', o === b);
        this.renderMine();
        this.foldIn();
      });
      box.append(b);
    }
    return box;
  }

  private renderCandidates(items: ItemInfo[]): void {
    $('you-results').replaceChildren(...items.map((it) => itemRow(it.title, `${it.count} ratings`, this.stars(it))));
  }

  private renderMine(): void {
    const box = $('you-ratings');
    if (!this.mine.size) {
      box.replaceChildren(h('span', { class: 'muted small' }, 'none yet — rate a few titles above'));
      $('you-recs').replaceChildren();
      $('you-timing').textContent = '';
      return;
    }
    box.replaceChildren(
      ...[...this.mine.entries()].map(([i, r]) => {
        const x = h('button', { type: 'button', title: 'remove' }, '×');
        x.addEventListener('click', () => {
          this.mine.delete(i);
          this.renderMine();
          if (this.mine.size) this.foldIn();
        });
        return h('span', { class: 'chip' }, `${r.title} · ${r.value}`, x);
      }),
    );
  }

  private foldIn(): void {
    const k = Math.max(1, Math.min(100, Number(($('user-k') as HTMLInputElement).value) || 10));
    this.engine.send({ type: 'foldIn', ratings: [...this.mine.entries()].map(([i, r]) => [i, r.value]), k, rankBy: this.rankBy() });
  }
}
