// The page: starts the worker, shows its top 10.
const status = document.getElementById('status');
const list = document.getElementById('top');
const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
worker.onmessage = ({ data }) => {
  if (data.error) {
    status.textContent = `error: ${data.error}`;
    document.body.dataset.state = 'error';
    return;
  }
  status.textContent = `trained on ${data.adapter}: train RMSE ${data.rmse.toFixed(4)}`;
  for (const s of data.top) {
    const li = document.createElement('li');
    li.textContent = `item ${s.id}: ${s.score.toFixed(3)}`;
    list.append(li);
  }
  document.body.dataset.state = 'done';
};
