/** Chart.js, registered once with just what the demo draws (line and bar charts). */
import {
  BarController, BarElement, CategoryScale, Chart, Filler, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip,
  type ChartConfiguration,
} from 'chart.js';

Chart.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, BarController, BarElement, Legend, Tooltip, Filler);
Chart.defaults.font.family = "Inter, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
Chart.defaults.color = '#667085';
Chart.defaults.animation = false;
Chart.defaults.maintainAspectRatio = false;

export const PALETTE = ['#4f46e5', '#0891b2', '#e11d48', '#16a34a', '#d97706', '#7c3aed', '#0d9488', '#db2777', '#65a30d', '#2563eb', '#ea580c', '#475569'];

/**
 * Charts draw on CPU-rasterised canvases: an accelerated 2-D canvas shares the GPU process with the
 * training's compute work, and on a busy (or software) GPU its flushes would stall the page.
 */
export function softCanvas(canvas: HTMLCanvasElement): HTMLCanvasElement {
  canvas.getContext('2d', { willReadFrequently: true });
  return canvas;
}

export function lineChart(canvas: HTMLCanvasElement, xTitle: string, yTitle: string): Chart<'line', { x: number; y: number }[]> {
  const cfg: ChartConfiguration<'line', { x: number; y: number }[]> = {
    type: 'line',
    data: { datasets: [] },
    options: {
      parsing: false,
      normalized: true,
      interaction: { mode: 'nearest', intersect: false },
      scales: {
        x: { type: 'linear', title: { display: true, text: xTitle }, grid: { color: '#eef0f4' } },
        y: { type: 'linear', title: { display: true, text: yTitle }, grid: { color: '#eef0f4' } },
      },
      plugins: { legend: { position: 'bottom', labels: { boxWidth: 14, boxHeight: 2 } }, tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${(c.parsed.y ?? 0).toFixed(4)}` } } },
    },
  };
  return new Chart(softCanvas(canvas), cfg);
}

export { Chart };
