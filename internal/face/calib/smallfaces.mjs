// smallfaces.mjs: detection rate by face size on <dir>/manifest.tsv (files
// named NNN_*.jpg, NNN = face width in px) for detectFaces configurations.
import fs from 'node:fs';
import path from 'node:path';
import * as L from './lib.mjs';
const dir = process.argv[2];
await L.initBackend();
const front = await L.loadModel('blazeface-front');
const back = await L.loadModel('blazeface-back');
const files = fs.readFileSync(path.join(dir, 'manifest.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t')[0]);
const configs = JSON.parse(process.env.FACECAL_CONFIGS || '{"default":{},"tiles3":{"tiles":3},"back0.7":{"backMin":0.7}}');
const res = {};
for (const f of files) {
  const img = L.decodeImage(path.join(dir, f));
  const t = L.imageTensor(img);
  const size = path.basename(f).slice(0, 3);
  for (const [name, opt] of Object.entries(configs)) {
    const ds = await L.detectFaces(front, back, t, opt);
    const k = `${name} ${size}px`;
    res[k] = res[k] || [0, 0];
    res[k][1]++;
    if (ds.length === 1) res[k][0]++;
  }
  t.dispose();
}
for (const [k, [a, b]] of Object.entries(res).sort()) console.log(k, `${a}/${b}`);
