/**
 * The Learn tab: the source's worked examples, each computed live by src/demo/lessons.ts (the
 * library's f64 least-squares solves and SGD update) and drawn here. Every printed number is a
 * <span class="num" data-k="key" data-v="full value">, so the end-to-end test can read each one
 * back and compare it with the same library call made in Node.
 *
 * Panels: (1) the toy table as ALS iterates, with ‖WᵗHᵗ − Wᵗ⁻¹Hᵗ⁻¹‖_F against ε; (2) step 0's closed
 * form for Bob → Sholay and Carol → Swades; (3) Alice's least squares and residual; (4) the 3 x 3
 * hands-on iteration with λ live; (5) SGD one rating at a time, the worked step and quiz 3;
 * (6) quiz 1 / quiz 2 on the loaded data, local optima from several seeds, the rank-1 case.
 */
import { lineChart } from './charts.ts';
import { $, h } from './dom.ts';
import {
  aliceLeastSquares, BOB_SHOLAY, CAROL_SWADES, HANDS_ON, handsOnIteration, localOptima, NETFLIX, quiz1, quiz2, quiz3, rankOne, stopAt, ToySgd, toyAls, toyStep0, workedSgdStep,
  type RowSolve, type SgdStepRecord, type ToyStep,
} from './lessons.ts';
import type { DataStats } from './protocol.ts';
import { TOY_MOVIES, TOY_PEOPLE, TOY_RANK, TOY_TABLE } from './toy.ts';

const R = TOY_RANK;

/** A printed number: its text rounded to `d` decimals, its full value in data-v. */
function num(key: string, v: number, d = 2): HTMLSpanElement {
  return h('span', { class: 'num', 'data-k': key, 'data-v': String(v) }, v.toFixed(d));
}

/** A big count: 3.00×10¹² style, full value in data-v. */
function big(key: string, v: number): HTMLSpanElement {
  const text = v >= 1e6 ? sci(v) : Math.round(v).toLocaleString('en-US');
  return h('span', { class: 'num', 'data-k': key, 'data-v': String(v) }, text);
}

const SUP: Record<string, string> = { '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹', '-': '⁻' };
function sci(v: number): string {
  const e = Math.floor(Math.log10(v));
  const m = v / 10 ** e;
  return `${m.toFixed(m === Math.round(m) ? 0 : 2)}×10${String(e).split('').map((c) => SUP[c]).join('')}`;
}

function pct(key: string, f: number, d = 2): HTMLSpanElement {
  return h('span', { class: 'num', 'data-k': key, 'data-v': String(f) }, `${(f * 100).toFixed(d)}%`);
}

/** A vector as [a, b, c] of printed numbers. */
function vec(key: string, v: number[], d = 4): HTMLSpanElement {
  const s = h('span', { class: 'vec' }, '[');
  v.forEach((x, k) => {
    if (k) s.append(', ');
    s.append(num(`${key}.${k}`, x, d));
  });
  s.append(']');
  return s;
}

/** A matrix as a small table of printed numbers. */
function matrix(key: string, M: number[][], rows: string[], cols: string[], d = 2, mark?: (r: number, c: number) => string): HTMLTableElement {
  return h(
    'table',
    { class: 'data toy mat' },
    h('thead', {}, h('tr', {}, h('th', {}, ''), ...cols.map((c) => h('th', {}, c)))),
    h('tbody', {}, ...M.map((row, r) => h('tr', {}, h('th', {}, rows[r]), ...row.map((x, c) => h('td', { class: mark?.(r, c) ?? '' }, num(`${key}.${r}.${c}`, x, d)))))),
  );
}

const p = (...c: (Node | string)[]) => h('p', {}, ...c);
const small = (...c: (Node | string)[]) => h('p', { class: 'muted small' }, ...c);

function readNum(id: string, lo: number, hi: number, dflt: number): number {
  const v = Number(($(id) as HTMLInputElement).value);
  return Number.isFinite(v) && v >= lo && v <= hi ? v : dflt;
}

/** One row's normal equations, printed: A, b and the solution. */
function rowSolve(key: string, s: RowSolve, usedNames: string[], xName: string, d = 4): HTMLElement {
  const K = s.x.length;
  const cols = Array.from({ length: K }, (_, a) => `f${a + 1}`);
  return h(
    'div',
    { class: 'solve' },
    h('h4', {}, `${s.name}: rated ${s.used.map((j, k) => `${usedNames[j]} = ${s.y[k]}`).join(', ')}`),
    h('div', { class: 'solve-grid' }, h('div', {}, small('A = Σ v vᵀ + λI'), matrix(`${key}.A`, s.A, cols, cols, d)), h('div', {}, small('b = Σ y v'), vec(`${key}.b`, s.b, d)), h('div', {}, small(`${xName} = A⁻¹ b`), vec(`${key}.x`, s.x, 4))),
  );
}

export class LearnTab {
  private running = false;
  private readonly chart = lineChart($('learn-chart') as HTMLCanvasElement, 'step (0 = people solved against the source H)', 'RMSE / ‖Δ‖_F');
  /** Predictions of the ? cells after each step shown (for the end-to-end test). */
  readonly trace: number[][] = [];
  private steps: ToyStep[] = [];
  private sgd = new ToySgd();
  private data: DataStats | null = null;

  constructor() {
    $('learn-run').addEventListener('click', () => void this.run());
    $('learn-lambda').addEventListener('change', () => this.showStep0());
    $('learn-eps').addEventListener('input', () => this.drawTrace(this.steps.length - 1));
    $('handson-lambda').addEventListener('input', () => this.showHandsOn());
    $('sgd-next').addEventListener('click', () => this.sgdStep(1));
    $('sgd-epoch').addEventListener('click', () => this.sgdStep(11));
    $('sgd-reset').addEventListener('click', () => this.sgdReset());
    for (const id of ['sgd-lr', 'sgd-lambda']) $(id).addEventListener('change', () => this.sgdReset());
    document.getElementById('rank')?.addEventListener('input', () => this.showQuizzes());
    this.showStep0();
    this.showAlice();
    this.showHandsOn();
    this.showSgdWorked();
    this.sgdReset();
    this.showQuizzes();
    this.showFacts();
  }

  /** The Data tab loaded a set: quiz 1 and quiz 2 use its shape. */
  setData(stats: DataStats): void {
    this.data = stats;
    this.showQuizzes();
  }

  // ------------------------------------------------------------ panel 1 + 2: the table
  private lambda(): number {
    return readNum('learn-lambda', 0, 100, 0.1);
  }

  private showStep0(): void {
    if (this.running) return;
    const lambda = this.lambda();
    this.steps = [toyStep0(lambda)];
    this.trace.length = 0;
    this.renderTable(this.steps[0], 'step 0');
    this.drawTrace(0);
    this.draw(0);
    // Panel 2: the closed form at λ = 0, 0.1 and the chosen λ.
    const lams = [...new Set([0, 0.1, lambda])];
    const rows = lams.map((l) => {
      const s = toyStep0(l);
      const tag = String(l);
      return h('tr', {}, h('td', {}, `λ = ${l}`), h('td', {}, num(`step0.${tag}.bob-sholay`, s.P[BOB_SHOLAY[0]][BOB_SHOLAY[1]])), h('td', {}, num(`step0.${tag}.carol-swades`, s.P[CAROL_SWADES[0]][CAROL_SWADES[1]])));
    });
    $('learn-answers').replaceChildren(h('thead', {}, h('tr', {}, h('th', {}, 'step 0'), h('th', {}, 'Bob → Sholay'), h('th', {}, 'Carol → Swades'))), h('tbody', {}, ...rows));
    const s0 = this.steps[0];
    const bob = s0.people[1];
    const carol = s0.people[2];
    const hS = [0, 1, 2].map((a) => s0.H[BOB_SHOLAY[1] * R + a]);
    const hW = [0, 1, 2].map((a) => s0.H[CAROL_SWADES[1] * R + a]);
    $('learn-step0').replaceChildren(
      small(`At λ = ${lambda}: the normal equations of Bob and Carol (H`, h('sub', {}, 'o'), 'H', h('sub', {}, 'o'), 'ᵀ + λI) w = H', h('sub', {}, 'o'), 'a, solved by the library.'),
      rowSolve('step0.bob', bob, TOY_MOVIES, 'w_Bob'),
      p('Bob → Sholay = w_Bob · h_Sholay = ', vec('step0.bob.w', bob.x), ' · ', vec('step0.h-sholay', hS, 2), ' = ', h('b', {}, num('step0.bob-sholay', s0.P[1][0]))),
      rowSolve('step0.carol', carol, TOY_MOVIES, 'w_Carol'),
      p('Carol → Swades = w_Carol · h_Swades = ', vec('step0.carol.w', carol.x), ' · ', vec('step0.h-swades', hW, 2), ' = ', h('b', {}, num('step0.carol-swades', s0.P[2][1]))),
      small('Bob and Carol rated three films each: at λ = 0 three equations meet three unknowns and their known cells are fitted exactly; λ > 0 pulls w towards 0 and trades that exactness for smaller, steadier factors.'),
    );
  }

  private renderTable(s: ToyStep, label: string): void {
    const table = $('learn-table');
    const head = h('tr', {}, h('th', {}, ''), ...TOY_MOVIES.map((m) => h('th', {}, m)));
    const guesses: number[] = [];
    const rows = TOY_PEOPLE.map((person, u) =>
      h(
        'tr',
        {},
        h('th', {}, person),
        ...TOY_MOVIES.map((_, i) => {
          const v = TOY_TABLE[u][i];
          const x = s.P[u][i];
          if (v !== null) return h('td', { class: 'known', title: `known rating; the model says ${x.toFixed(2)}` }, String(v));
          guesses.push(x);
          return h('td', { class: 'guess flash', title: `? — predicted at ${label}` }, num(`table.${u}.${i}`, x));
        }),
      ),
    );
    table.replaceChildren(h('thead', {}, head), h('tbody', {}, ...rows));
    setTimeout(() => table.querySelectorAll('.flash').forEach((e) => e.classList.remove('flash')), 250);
    const rowsOf = (F: Float64Array, n: number) => Array.from({ length: n }, (_, r) => Array.from(F.subarray(r * R, (r + 1) * R)));
    const fcols = Array.from({ length: R }, (_, a) => `f${a + 1}`);
    $('learn-h').replaceChildren(...matrix('H', rowsOf(s.H, 5), TOY_MOVIES, fcols).childNodes);
    $('learn-w').replaceChildren(...matrix('W', rowsOf(s.W, 3), TOY_PEOPLE, fcols).childNodes);
    this.trace.push(guesses);
  }

  /** The per-step table (RMSE, Δ, the two answers) up to step `upto`, and where ε stops the run. */
  private drawTrace(upto: number): void {
    const eps = readNum('learn-eps', 0, 1e9, 0.1);
    const shown = this.steps.slice(0, upto + 1);
    const stop = stopAt(shown.map((s) => s.delta), eps);
    $('learn-trace').replaceChildren(
      h('thead', {}, h('tr', {}, h('th', {}, 'step'), h('th', {}, 'RMSE (known)'), h('th', {}, '‖WᵗHᵗ − Wᵗ⁻¹Hᵗ⁻¹‖_F'), h('th', {}, 'Bob → Sholay'), h('th', {}, 'Carol → Swades'), h('th', {}, ''))),
      h(
        'tbody',
        {},
        ...shown.map((s) =>
          h(
            'tr',
            { class: s.t === stop ? 'stop-row' : '' },
            h('td', {}, String(s.t)),
            h('td', {}, num(`iter.${s.t}.rmse`, s.rmse, 4)),
            h('td', {}, s.delta === undefined ? '—' : num(`iter.${s.t}.delta`, s.delta, 4)),
            h('td', {}, num(`iter.${s.t}.bob-sholay`, s.P[1][0])),
            h('td', {}, num(`iter.${s.t}.carol-swades`, s.P[2][1])),
            h('td', {}, s.t === stop ? `‖Δ‖ < ε: stops here` : s.delta !== undefined && s.delta >= eps ? '≥ ε' : ''),
          ),
        ),
      ),
    );
    $('learn-stop').replaceChildren(
      stop === null
        ? `With ε = ${eps}, no step so far moved the predictions by less than ε: a fit with tolerance ε would keep going.`
        : `With ε = ${eps}, a fit with tolerance ε stops after iteration ${stop} (the first whose ‖WᵗHᵗ − Wᵗ⁻¹Hᵗ⁻¹‖_F is below ε).`,
    );
    $('learn-stop').dataset.stop = stop === null ? '' : String(stop);
  }

  async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const btn = $('learn-run') as HTMLButtonElement;
    btn.disabled = true;
    this.trace.length = 0;
    try {
      const lambda = this.lambda();
      const iters = Math.max(1, Math.min(100, Math.round(readNum('learn-iters', 1, 100, 12))));
      this.steps = toyAls(lambda, iters);
      for (const s of this.steps) {
        if (s.t > 0) await new Promise((r) => setTimeout(r, 320));
        this.renderTable(s, s.t === 0 ? 'step 0' : `iteration ${s.t}`);
        this.drawTrace(s.t);
        this.draw(s.t);
        $('learn-status').textContent = s.t === 0 ? "step 0: people solved against the source's H" : `iteration ${s.t} of ${iters}`;
      }
      $('learn-status').textContent = `done: ${iters} iterations (λ = ${lambda})`;
    } catch (e) {
      $('learn-status').textContent = `error: ${(e as Error).message}`;
    } finally {
      this.running = false;
      btn.disabled = false;
    }
  }

  private draw(upto: number): void {
    const shown = this.steps.slice(0, upto + 1);
    const eps = readNum('learn-eps', 0, 1e9, 0.1);
    this.chart.data.datasets = [
      { label: 'RMSE on the known cells', data: shown.map((s) => ({ x: s.t, y: s.rmse })), borderColor: '#4f46e5', backgroundColor: '#4f46e5', pointRadius: 3, tension: 0.2 },
      { label: '‖WᵗHᵗ − Wᵗ⁻¹Hᵗ⁻¹‖_F', data: shown.filter((s) => s.delta !== undefined).map((s) => ({ x: s.t, y: s.delta! })), borderColor: '#0891b2', backgroundColor: '#0891b2', pointRadius: 3, tension: 0.2 },
      { label: 'ε', data: shown.length > 1 ? [{ x: 1, y: eps }, { x: upto, y: eps }] : [], borderColor: '#e11d48', backgroundColor: '#e11d48', borderDash: [4, 4], pointRadius: 0 },
    ];
    (this.chart.options.scales!.x as { ticks: { precision?: number } }).ticks = { precision: 0 };
    this.chart.update('none');
  }

  // ------------------------------------------------------------ panel 3: Alice
  private showAlice(): void {
    const a = aliceLeastSquares();
    $('learn-alice').replaceChildren(
      p('w* = (H Hᵀ)⁻¹ H a = ', h('b', {}, vec('alice.w', a.w))),
      matrix('alice.fit', [a.ratings, a.fit, a.residual], ['her rating a', 'w*·h (fit)', 'residual a − w*·h'], TOY_MOVIES, 3),
      p('Her Sholay prediction is ', h('b', {}, num('alice.sholay', a.fit[0], 3)), ', not the 5 she gave it; the residual has length ‖a − Hᵀw*‖ = ', num('alice.residual-norm', a.residualNorm, 4), '.'),
      small(
        'This is the source\'s point: a rank-3 model has three numbers per person, and five ratings cannot all be matched by three. Least squares makes the residual orthogonal to the rows of H instead (H(a − Hᵀw*) = ',
        vec('alice.gradient', a.gradient.map((g) => Math.abs(g) < 1e-12 ? 0 : g), 1),
        ' up to rounding), so no change of w lowers the squared error.',
      ),
    );
  }

  // ------------------------------------------------------------ panel 4: the 3 x 3 example
  private showHandsOn(): void {
    const lambda = readNum('handson-lambda', 0, 100, 0);
    const it = handsOnIteration(lambda);
    const { A, W0, H0, users, movies } = HANDS_ON;
    const f2 = ['f1', 'f2'];
    const missing = (r: number, c: number) => (A[r][c] === null ? 'guess' : 'known');
    const aTable = h(
      'table',
      { class: 'data toy mat' },
      h('thead', {}, h('tr', {}, h('th', {}, 'A'), ...movies.map((m) => h('th', {}, m)))),
      h('tbody', {}, ...A.map((row, r) => h('tr', {}, h('th', {}, users[r]), ...row.map((x) => h('td', { class: x === null ? 'guess' : 'known' }, x === null ? '?' : String(x)))))),
    );
    const hr = (k: number, F: Float64Array) => [F[k * 2], F[k * 2 + 1]];
    const afterUsers = it.Pusers[2][0];
    $('learn-handson').replaceChildren(
      h('div', { class: 'solve-grid' }, h('div', {}, aTable), h('div', {}, small('W₀ (the source gives it; solving users first does not need it)'), matrix('handson.W0', W0, users, f2, 1)), h('div', {}, small('H₀ (2 × 3)'), matrix('handson.H0', H0, f2, movies, 1))),
      h('h4', {}, `Users, with H₀ fixed (λ = ${lambda})`),
      small('The source, for user 1: the columns of H₀ for movies 1 and 3 give [1.0 0.3; 0.2 0.8] w = [5; 2]. With λ the same user solves the normal equations below; at λ = 0 they have the same answer.'),
      ...it.users.map((s, u) => rowSolve(`handson.user${u}`, s, movies, `w${u + 1}`)),
      h('div', { class: 'solve-grid' }, h('div', {}, small('W₁'), matrix('handson.W1', [0, 1, 2].map((k) => hr(k, it.W1)), users, f2, 4)), h('div', {}, small('W₁ H₀ after the users'), matrix('handson.Pusers', it.Pusers, users, movies, 2, missing))),
      h('h4', {}, `Movies, with W₁ fixed (λ = ${lambda})`),
      ...it.movies.map((s, m) => rowSolve(`handson.movie${m}`, s, users, `h${m + 1}`)),
      h('div', { class: 'solve-grid' }, h('div', {}, small('H₁ (rows = movies)'), matrix('handson.H1', [0, 1, 2].map((k) => hr(k, it.H1)), movies, f2, 4)), h('div', {}, small('W₁ H₁ after the whole iteration'), matrix('handson.P1', it.P1, users, movies, 2, missing))),
      p(
        'User 3 → movie 1 comes out ',
        h('b', {}, num('handson.user3-movie1', it.P1[2][0])),
        ` after the whole iteration (after the users' half: `,
        num('handson.user3-movie1-users', afterUsers),
        ').',
      ),
      small(
        'At λ = 0 each user has two ratings for two unknowns, so the known cells are fitted exactly — and user 3, who rated movies 2 and 3, gets w₃ = [17.5, −3.125]: a prediction of 16.56 on a 1–5 scale. Nothing in the data forbids it. This is the source\'s case for regularization: raise λ above and watch the factors shrink and the ? cells come back into range.',
      ),
    );
  }

  // ------------------------------------------------------------ panel 5: SGD
  private showSgdWorked(): void {
    const s = workedSgdStep();
    $('learn-sgd-worked').replaceChildren(
      p(
        "The source's update, one rating a at a time: e = a − w·h, then w ← w + α(e h − λw) and h ← h + α(e w_old − λh). ",
        'The source writes gradient descent on (a − w·h)², whose gradient in w is −2 e h; the library folds the factor −2 into the learning rate (α here is twice the source\'s step), so the update reads w += α(e h − λw).',
      ),
      h('h4', {}, "The source's worked step: Alice, Sholay (a = 5), w = [0.4, 0.2, 0.3], h = [0.95, 0.1, 0.85], α = 0.01"),
      p('prediction w·h = ', num('sgd.worked.prediction', s.prediction, 3), ', error e = 5 − w·h = ', num('sgd.worked.e', s.e, 3)),
      p('w → ', vec('sgd.worked.w', s.w), ',  h → ', vec('sgd.worked.h', s.h), ' (h uses the old w)'),
      small(
        `The source prints h₃ = 0.8631: a rounding slip. Exactly h₃ = 0.85 + 0.01 × 4.345 × 0.3 = `,
        num('sgd.worked.h2-exact', s.h[2], 6),
        ', which rounds to 0.8630. The source also says "we predict 3.2" near this step; w·h for these vectors is 0.655 (4.345 below the rating), and 3.2 does not follow from the numbers given.',
      ),
    );
    const q = quiz3();
    $('learn-quiz3').replaceChildren(
      h('h4', {}, 'Pop quiz 3: rating 2, prediction 4.5, α = 0.1, w = [0.8, 0.3], h = [0.6, 0.9]'),
      p('e = 2 − 4.5 = ', num('quiz3.e', q.e, 1), ';  w → ', vec('quiz3.w', q.w, 3), ',  h → ', vec('quiz3.h', q.h, 3)),
      small('The quiz states the prediction 4.5, while w·h = 0.75 for these vectors; the library\'s update gets the rest from a global mean μ = 3.75 (prediction = μ + w·h), so the step is the quiz\'s.'),
    );
  }

  private sgdReset(): void {
    this.sgd = new ToySgd(readNum('sgd-lr', 0, 10, 0.01), readNum('sgd-lambda', 0, 100, 0));
    $('learn-sgd-last').replaceChildren(small(`From every person at w = [0.4, 0.2, 0.3] and the source's H; the first rating is Alice → Sholay, the worked step above. RMSE on the known cells: `, num('sgd.rmse', this.sgd.rmse(), 4)));
    $('learn-sgd-log').replaceChildren(h('thead', {}, h('tr', {}, h('th', {}, '#'), h('th', {}, 'rating'), h('th', {}, 'w·h'), h('th', {}, 'e'), h('th', {}, 'new w'), h('th', {}, 'new h'))), h('tbody', {}));
  }

  private sgdStep(n: number): void {
    let last: SgdStepRecord | null = null;
    const tbody = $('learn-sgd-log').querySelector('tbody')!;
    for (let k = 0; k < n; k++) {
      last = this.sgd.step();
      const j = this.sgd.log.length;
      const key = `sgd.log.${j}`;
      tbody.prepend(
        h(
          'tr',
          {},
          h('td', {}, String(j)),
          h('td', {}, `${TOY_PEOPLE[last.u]} → ${TOY_MOVIES[last.i]} = ${last.a}`),
          h('td', {}, num(`${key}.prediction`, last.prediction, 3)),
          h('td', {}, num(`${key}.e`, last.e, 3)),
          h('td', {}, vec(`${key}.w`, last.w)),
          h('td', {}, vec(`${key}.h`, last.h)),
        ),
      );
    }
    if (!last) return;
    $('learn-sgd-last').replaceChildren(
      p(`Update ${this.sgd.log.length} (epoch ${this.sgd.epoch + (this.sgd.next === 0 ? 0 : 1)}): ${TOY_PEOPLE[last.u]} → ${TOY_MOVIES[last.i]} = ${last.a}; e = ${last.a} − `, vec('sgd.last.wBefore', last.wBefore), ' · ', vec('sgd.last.hBefore', last.hBefore), ' = ', num('sgd.last.e', last.e, 4)),
      p('w ← w + α(e h − λw) = ', vec('sgd.last.w', last.w), ';  h ← h + α(e w_old − λh) = ', vec('sgd.last.h', last.h)),
      small('RMSE on the known cells now: ', num('sgd.rmse', this.sgd.rmse(), 4)),
    );
  }

  // ------------------------------------------------------------ panel 6: quizzes and facts
  private showQuizzes(): void {
    const d = this.data;
    const rank = Math.round(readNum('rank', 1, 256, 10));
    const set = d ? { name: d.name, users: d.users, items: d.items, ratings: d.ratings } : { name: 'the toy table', users: 3, items: 5, ratings: 11 };
    const q = quiz1(set.users, set.items, set.ratings);
    const nf = quiz1(NETFLIX.users, NETFLIX.items, NETFLIX.ratings);
    const q2 = quiz2(set.users, set.items, rank);
    $('learn-quiz1').replaceChildren(
      h('h4', {}, 'Quiz 1: how many ratings could there be, and how many are known?'),
      h(
        'table',
        { class: 'data' },
        h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', {}, 'users N'), h('th', {}, 'items M'), h('th', {}, 'possible N·M'), h('th', {}, 'known'), h('th', {}, 'fill'))),
        h(
          'tbody',
          {},
          h('tr', {}, h('td', {}, set.name), h('td', {}, big('quiz1.data.users', set.users)), h('td', {}, big('quiz1.data.items', set.items)), h('td', {}, big('quiz1.data.possible', q.possible)), h('td', {}, big('quiz1.data.ratings', set.ratings)), h('td', {}, pct('quiz1.data.fill', q.fill, 3))),
          h('tr', {}, h('td', {}, 'Netflix (the source)'), h('td', {}, big('quiz1.netflix.users', NETFLIX.users)), h('td', {}, big('quiz1.netflix.items', NETFLIX.items)), h('td', {}, big('quiz1.netflix.possible', nf.possible)), h('td', {}, big('quiz1.netflix.ratings', NETFLIX.ratings)), h('td', {}, pct('quiz1.netflix.fill', nf.fill))),
        ),
      ),
      small(d ? 'The first row is the set loaded on the Data tab.' : 'Load a set on the Data tab and the first row shows it.'),
      h('h4', {}, `Quiz 2: the shapes at rank r = ${rank} (the Train tab's rank)`),
      p('W is N × r = ', big('quiz2.W.0', q2.W[0]), ' × ', big('quiz2.W.1', q2.W[1]), ', H is r × M = ', big('quiz2.H.0', q2.H[0]), ' × ', big('quiz2.H.1', q2.H[1]), '; r(N + M) = ', big('quiz2.parameters', q2.parameters), ' parameters stand in for N·M = ', big('quiz2.cells', q2.cells), ' cells.'),
    );
  }

  /** Local optima and the rank-1 case: the toy table's, computed once (they do not depend on the loaded set). */
  private showFacts(): void {
    const seeds = localOptima([1, 2, 3, 4]);
    $('learn-optima').replaceChildren(
      h('h4', {}, 'Local optima: the toy table from four seeds (rank 2, λ = 0.1, 50 ALS iterations)'),
      h(
        'table',
        { class: 'data' },
        h('thead', {}, h('tr', {}, h('th', {}, 'seed'), h('th', {}, "Alice's w"), h('th', {}, 'RMSE (known)'), h('th', {}, 'Bob → Sholay'), h('th', {}, 'Carol → Swades'))),
        h('tbody', {}, ...seeds.map((s) => h('tr', {}, h('td', {}, String(s.seed)), h('td', {}, vec(`optima.${s.seed}.alice`, s.alice, 3)), h('td', {}, num(`optima.${s.seed}.rmse`, s.rmse, 4)), h('td', {}, num(`optima.${s.seed}.bob-sholay`, s.bobSholay)), h('td', {}, num(`optima.${s.seed}.carol-swades`, s.carolSwades))))),
      ),
      small('The objective is not convex in W and H together: different starts end at different factors (any rotation W R, H R⁻ᵀ fits as well, and distinct stationary points exist), with similar error.'),
    );
    const r1 = rankOne();
    $('learn-rank1').replaceChildren(
      h('h4', {}, 'The rank-1 case (final true/false quiz)'),
      p('With r = 1 every prediction is w_u h_i: each person\'s row is the same film vector h scaled by one number, so everyone with a positive w ranks the films in the same order. Here (λ = 0.1):'),
      matrix('rank1.P', r1.P, TOY_PEOPLE, TOY_MOVIES, 2),
      p('Orders: ', ...r1.orders.map((o, k) => h('span', { class: 'chip' }, `${TOY_PEOPLE[k]}: ${o.map((i) => TOY_MOVIES[i]).join(' > ')}`)), r1.sameOrder ? ' — the same for all three.' : ''),
      small('RMSE on the known cells: ', num('rank1.rmse', r1.rmse, 4), '. One trait cannot say "Bob likes science fiction, Alice the classics"; rank 2 or more can.'),
    );
  }
}
