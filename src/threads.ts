// Starting a worker thread on one of our own modules, compiled (dist/*.js) or, under tsx, from its TypeScript source.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/** `base` is the module's URL without extension, e.g. `new URL('./sqlite-writer', import.meta.url)`. */
export function startWorker(base: URL, workerData: unknown): Worker {
  const js = new URL(`${base.href}.js`);
  if (existsSync(fileURLToPath(js))) return new Worker(js, { workerData });
  const ts = new URL(`${base.href}.ts`);
  // A worker does not inherit tsx's loader: register it inside the worker before importing the source.
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(ts.href)}); })`;
  return new Worker(bootstrap, { eval: true, workerData });
}
