// A verification worker: its own store connection, checking the leaves it is asked for (see leaf-reader.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { type AnnalsConfig, openStore } from '../annals.js';
import { checkLeaves, checkNodes } from './leaf-reader.js';

const { config } = workerData as { config: AnnalsConfig };
const store = openStore(config, { writer: 'inline' });
parentPort!.postMessage({ ready: true });

parentPort!.on('message', async (m: { id: number; org: string; from: number; to: number; deep: boolean }) => {
  try {
    const rows = (await store.readLeaves(m.org, m.from, m.to - m.from, m.deep)).filter((r) => r.seq < m.to);
    const checked = checkLeaves(rows, m.from, m.deep);
    if (m.deep) await checkNodes(store, m.org, m.from, checked);
    // A clean chunk's leaf hashes are not needed (its root stands for them): only its root crosses back.
    if (checked.root) checked.hashes = new Uint8Array(0);
    parentPort!.postMessage({ id: m.id, checked }, [checked.hashes.buffer as ArrayBuffer]);
  } catch (error) {
    parentPort!.postMessage({ id: m.id, error: (error as Error).message });
  }
});
