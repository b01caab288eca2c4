/**
 * The webmf demo page: tabs, the Data tab, and wiring between the engine worker and the other tabs.
 * Heavy work lives in the worker (src/demo/worker.ts); this thread draws.
 */
import './style.css';
import { EngineClient } from './client.ts';
import { Chart, PALETTE, softCanvas } from './charts.ts';
import { $, fmtBytes, fmtInt, fmtSeconds, h, itemRow } from './dom.ts';
import { LearnTab } from './learn.ts';
import { PointMap } from './map.ts';
import type { DataStats, FromWorker, RunSummary, SourceSpec } from './protocol.ts';
import { RecommendTab } from './recommend.ts';
import { SYNTHETIC_PRESETS } from './synth.ts';
import { TrainTab } from './train.ts';
import { ChooseRank } from './choose-rank.ts';
import { BenchPanel } from './bench-panel.ts';

const params = new URLSearchParams(location.search);
const engine = new EngineClient();
const train = new TrainTab(engine);
const recommend = new RecommendTab(engine);
const chooseRank = new ChooseRank(engine, train);
const learn = new LearnTab();
const benchPanel = new BenchPanel(engine);
const map = new PointMap($('map') as HTMLCanvasElement);
let histChart: Chart<'bar'> | null = null;
let hasModel = false;
let mapStale = true;
const errors: string[] = [];

/** State the end-to-end test reads. */
const demo = {
  ready: false,
  webgpu: false,
  adapter: '',
  loaded: null as DataStats | null,
  limits: undefined as (FromWorker & { type: 'ready' })['limits'],
  runs: train.summaries,
  errors,
  chartPoints: () => train.chartPoints(),
  maxChartDrawMs: () => train.maxDrawMs,
  mapPoints: () => map.count,
  mapRenderer: () => map.renderer,
  learnTrace: learn.trace,
  tuneResult: () => chooseRank.result,
  mapScreenOf: (j: number) => map.screenOf(j),
  bench: () => ({ running: benchPanel.running, result: benchPanel.result }),
};
(window as unknown as { __demo: typeof demo }).__demo = demo;

// ---------------------------------------------------------------- tabs
function showTab(name: string): void {
  for (const b of document.querySelectorAll<HTMLButtonElement>('.tabs [data-tab]')) b.setAttribute('aria-selected', String(b.dataset.tab === name));
  for (const s of document.querySelectorAll<HTMLElement>('[data-panel]')) s.hidden = s.dataset.panel !== name;
  if (name === 'recommend') recommend.shown();
  if (name === 'explore') {
    if (hasModel && mapStale) {
      mapStale = false;
      engine.send({ type: 'pca', maxPoints: 6000 });
    }
    map.requestFrame();
  }
  history.replaceState(null, '', `#${name}`);
}
for (const b of document.querySelectorAll<HTMLButtonElement>('.tabs [data-tab]')) b.addEventListener('click', () => showTab(b.dataset.tab!));
document.body.classList.add('no-model');

// ---------------------------------------------------------------- engine status
/** The error banner (cleared when new data is loaded); the no-WebGPU notice has its own. */
function banner(text: string): void {
  const b = $('banner');
  b.textContent = text;
  b.hidden = false;
}

engine.on('ready', (m) => {
  demo.ready = true;
  demo.webgpu = m.webgpu;
  demo.adapter = m.adapter;
  demo.limits = m.limits;
  $('device-dot').className = `dot ${m.webgpu ? 'ok' : 'cpu'}`;
  $('device-name').textContent = `${m.webgpu ? `WebGPU · ${m.adapter}` : 'CPU only'} · trains on ${m.engine === 'gpu' ? 'the GPU' : 'the f32 CPU engine'}`;
  $('device-name').title = m.engineReason;
  $('device-engine').textContent = m.engineReason;
  train.setGpu(m.webgpu, m.adapter, m.engine);
  if (m.webgpu) {
    const canvas = map.useRemote((frame) => engine.send({ type: 'mapFrame', frame }));
    engine.send({ type: 'mapCanvas', canvas }, [canvas]);
  } else {
    map.useCanvas2d();
  }
  if (!m.webgpu) {
    const b = $('gpu-banner');
    b.textContent = `No WebGPU here (${m.reason ?? 'navigator.gpu is missing'}). Everything still works on the CPU path (the f32 CPU engine), only slower — use a recent Chrome, Edge or Safari for the GPU.`;
    b.hidden = false;
  }
});

engine.on('error', (m) => {
  errors.push(`${m.context}: ${m.message}`);
  console.warn(`webmf demo (${m.context}): ${m.message}`);
  if (m.context === 'load') {
    $('load-progress').hidden = true;
    banner(`Could not load the data: ${m.message}`);
  } else if (m.context === 'gpu') {
    banner(`${m.message}. Reload the page to get a new device.`);
  } else {
    banner(`${m.context}: ${m.message}`);
  }
});

// The worker's device asks for no limits (WebGPU's defaults: webmf stores large arrays in chunks
// under them); ?limits=adapter asks for the adapter's maxima instead.
engine.send({ type: 'init', forceCpu: params.has('cpu'), deviceLimits: params.get('limits') === 'adapter' ? 'adapter' : 'default' });

// ---------------------------------------------------------------- data tab
const presetSel = $('synth-preset') as HTMLSelectElement;
for (const [k, p] of Object.entries(SYNTHETIC_PRESETS)) presetSel.append(h('option', { value: k }, p.label));
presetSel.value = 'ml-100k';

function load(source: SourceSpec): void {
  $('banner').hidden = true;
  $('load-progress').hidden = false;
  $('progress-fill').style.width = '0%';
  $('progress-phase').textContent = 'starting';
  $('progress-text').textContent = '';
  for (const b of document.querySelectorAll<HTMLButtonElement>('#tab-data button')) b.disabled = true;
  train.setDataLoaded(false);
  chooseRank.setDataLoaded(false);
  // A run in progress would hold the worker: new data stops it.
  train.cancel();
  engine.send({ type: 'load', source });
}

engine.on('progress', (m) => {
  $('progress-fill').style.width = `${(m.fraction * 100).toFixed(1)}%`;
  $('progress-phase').textContent = m.phase;
  $('progress-text').textContent = m.text;
});

const enableDataButtons = () => {
  for (const b of document.querySelectorAll<HTMLButtonElement>('#tab-data button')) b.disabled = false;
};
engine.on('error', (m) => {
  if (m.context === 'load') enableDataButtons();
});

engine.on('loaded', (m) => {
  enableDataButtons();
  demo.loaded = m.stats;
  $('progress-fill').style.width = '100%';
  $('progress-phase').textContent = 'loaded';
  $('progress-text').textContent = `${fmtInt(m.stats.ratings)} ratings in ${fmtSeconds(m.stats.loadMs / 1000)}`;
  renderStats(m.stats);
  learn.setData(m.stats);
  train.reset();
  train.setDataLoaded(true);
  chooseRank.setDataLoaded(true);
  hasModel = false;
  document.body.classList.add('no-model');
  recommend.setData(m.sampleUsers, m.popular, m.stats.scale);
  mapStale = true;
  $('dataset-badge').textContent = `${m.stats.name} · ${fmtInt(m.stats.ratings)} ratings`;
  // Large catalogues: hide items too rarely rated for their factors to mean much.
  ($('min-count') as HTMLInputElement).value = String(m.stats.items > 1000 ? 10 : 1);
  sendMinCount();
  // Tiny sets train in a blink; suggest sensible settings for the size.
  ($('rank') as HTMLInputElement).value = m.stats.items <= 10 ? '3' : '10';
});

function renderStats(s: DataStats): void {
  $('stats').hidden = false;
  $('stats-name').textContent = s.name;
  $('stats-detail').textContent = `${s.detail}. Packed ratings: ${fmtBytes(s.packedBytes)}.`;
  $('st-users').textContent = fmtInt(s.users);
  $('st-items').textContent = fmtInt(s.items);
  $('st-ratings').textContent = fmtInt(s.ratings);
  $('st-density').textContent = `${(s.density * 100).toFixed(s.density < 0.001 ? 4 : 2)}%`;
  $('st-split').textContent = s.test ? `${fmtInt(s.train)} / ${fmtInt(s.test)}` : `${fmtInt(s.train)} / —`;
  $('st-time').textContent = fmtSeconds(s.loadMs / 1000);
  const data = { labels: s.histogram.map((b) => String(b.value)), datasets: [{ label: 'ratings', data: s.histogram.map((b) => b.count), backgroundColor: '#6366f1', borderRadius: 4 }] };
  if (!histChart) {
    histChart = new Chart(softCanvas($('hist-chart') as HTMLCanvasElement), {
      type: 'bar',
      data,
      options: { plugins: { legend: { display: false } }, scales: { x: { title: { display: true, text: s.implicit ? 'count (capped at 20)' : 'rating' }, grid: { display: false } }, y: { title: { display: true, text: 'ratings' } } } },
    });
  } else {
    histChart.data = data;
    histChart.update('none');
  }
}

$('load-synth').addEventListener('click', () => load({ kind: 'synthetic', preset: presetSel.value, seed: Number(($('synth-seed') as HTMLInputElement).value) || 0 }));
$('load-toy').addEventListener('click', () => load({ kind: 'toy' }));
const fileInput = $('file-input') as HTMLInputElement;
fileInput.addEventListener('change', () => {
  if (fileInput.files?.length) load({ kind: 'files', files: [...fileInput.files] });
  fileInput.value = '';
});
const drop = $('drop');
drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  const files = [...(e.dataTransfer?.files ?? [])];
  if (files.length) load({ kind: 'files', files });
});

/** MovieLens files the server offers (src/demo/serve.ts lists its data folder at /webmf-data/index.json). */
async function findServed(): Promise<void> {
  const hint = $('served-hint');
  try {
    const index = document.querySelector<HTMLMetaElement>('meta[name=webmf-data]')?.content;
    if (!index) throw new Error('no data server');
    const res = await fetch(index);
    if (!res.ok) throw new Error(String(res.status));
    const sets = (await res.json()) as { name: string; ratings: string; movies?: string; bytes: number }[];
    if (!sets.length) throw new Error('none');
    hint.textContent = 'Found on this machine (served by the demo server):';
    $('served-list').replaceChildren(
      ...sets.map((s) => {
        const b = h('button', { type: 'button' }, `${s.name} (${fmtBytes(s.bytes)})`);
        b.addEventListener('click', () => load({ kind: 'url', name: s.name, ratings: s.ratings, movies: s.movies }));
        return b;
      }),
    );
  } catch {
    hint.innerHTML = '';
    hint.append(
      'No MovieLens files are served with this page. Get them with ',
      h('code', {}, 'webmf data get ml-latest-small'),
      ' (or ',
      h('code', {}, '--offline'),
      '), then serve the page with ',
      h('code', {}, 'npm start'),
      ' — or drop the downloaded zip on "Your files".',
    );
  }
}
void findServed();

// ---------------------------------------------------------------- model-dependent tabs
train.onModel = (s: RunSummary) => {
  hasModel = true;
  document.body.classList.remove('no-model');
  mapStale = true;
  $('sim-list').replaceChildren();
  $('sim-title').textContent = '';
  recommend.modelChanged(s.algo === 'ials');
  if (!$('tab-explore').hidden) showTab('explore');
  $('map-info').textContent = '';
};

// Rating-count floor for recommendations, similar items and the map
function sendMinCount(): void {
  engine.send({ type: 'minCount', n: Number(($('min-count') as HTMLInputElement).value) || 1 });
}
$('min-count').addEventListener('change', () => {
  sendMinCount();
  if (!hasModel) return;
  recommend.refresh();
  mapStale = true;
  $('sim-list').replaceChildren();
  if (!$('tab-explore').hidden) showTab('explore');
});

// Similar items
const simSearch = $('sim-search') as HTMLInputElement;
let simTimer = 0;
simSearch.addEventListener('input', () => {
  clearTimeout(simTimer);
  simTimer = window.setTimeout(() => engine.send({ type: 'search', query: simSearch.value, limit: 30, channel: 'similar' }), 120);
});
engine.on('searchResult', (m) => {
  if (m.channel !== 'similar' || m.query !== simSearch.value) return;
  $('sim-results').replaceChildren(
    ...m.items.map((it) => {
      const li = itemRow(it.title, `${it.count} ratings`);
      li.addEventListener('click', () => engine.send({ type: 'similar', item: it.index, k: 12 }));
      return li;
    }),
  );
});
engine.on('similarResult', (m) => {
  $('sim-title').textContent = `Most similar to “${m.title}” (cosine of factors)`;
  $('sim-list').replaceChildren(...m.items.map((r) => itemRow(r.title, r.score.toFixed(3))));
});

// PCA map
const tip = $('map-tip');
let mapIndices: Uint32Array = new Uint32Array(0);
let mapTitles: string[] = [];
map.onHover = (j, x, y) => {
  if (j < 0) {
    tip.hidden = true;
    return;
  }
  tip.hidden = false;
  tip.textContent = mapTitles[j];
  tip.style.left = `${x}px`;
  tip.style.top = `${y}px`;
};
map.onPick = (j) => engine.send({ type: 'similar', item: mapIndices[j], k: 12 });
for (const b of $('map-mode').querySelectorAll<HTMLButtonElement>('button')) {
  b.addEventListener('click', () => {
    for (const o of $('map-mode').querySelectorAll('button')) o.setAttribute('aria-pressed', String(o === b));
    map.setDims(Number(b.dataset.d) as 2 | 3);
  });
}
engine.on('pcaResult', (m) => {
  mapIndices = m.indices;
  mapTitles = m.titles;
  map.setData(m);
  if (map.renderer === 'webgpu') {
    const instances = map.instanceData();
    engine.send({ type: 'mapPoints', instances }, [instances.buffer]);
  }
  $('map-info').textContent = `· ${fmtInt(m.titles.length)} most-rated items · variance explained ${m.explained.map((e) => `${(e * 100).toFixed(0)}%`).join(' / ')}`;
  $('map-legend').replaceChildren(...m.groupNames.map((g, k) => h('span', { style: `--c: ${PALETTE[k % PALETTE.length]}` }, g)));
  $('map-legend').hidden = m.groupNames.length < 2;
  // Start the similar-items list with the most-rated item (the map's first point).
  if (!$('sim-list').childElementCount && m.indices.length) engine.send({ type: 'similar', item: m.indices[0], k: 12 });
});

showTab(location.hash.slice(1) || 'data');
