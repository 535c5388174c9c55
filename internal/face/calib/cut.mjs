// cut.mjs: is the face cut by the frame? For the top face of each photo: how
// far the detector box runs past the image edges (in box widths) and the
// share of the 468 FaceMesh points that fall outside the image.
//   node cut.mjs images.tsv
import fs from 'node:fs';
import * as L from './lib.mjs';
const rows = fs.readFileSync(process.argv[2] || 'images_all.tsv', 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t')).filter((c) => c[2] === '1');
await L.initBackend();
const front = await L.loadModel('blazeface-front');
const back = await L.loadModel('blazeface-back');
const mesh = await L.loadModel('facemesh');
const out = {};
for (const [file, , , pose] of rows) {
  const img = L.decodeImage(file);
  const t = L.imageTensor(img);
  const d = (await L.detectFaces(front, back, t))[0];
  if (!d) { t.dispose(); continue; }
  const m = await L.runMeshRefined(mesh, t, d);
  t.dispose();
  const [x1, y1, x2, y2] = d.box; const bw = x2 - x1;
  const over = Math.max(0, -x1, -y1, x2 - img.w, y2 - img.h) / bw;
  const outside = m.mesh.filter((p) => p[0] < 0 || p[1] < 0 || p[0] >= img.w || p[1] >= img.h).length / m.mesh.length;
  const cls = pose === 'tight' ? (file.includes('tight80') ? 'tight80' : 'tight') : (pose || 'frontal');
  (out[cls] = out[cls] || []).push({ file: file.split('/').slice(-2).join('/'), over: +over.toFixed(3), outside: +outside.toFixed(3), faceFrac: +(bw / img.w).toFixed(2) });
}
for (const [c, v] of Object.entries(out)) {
  const o = v.map((x) => x.outside).sort((a, b) => a - b); const b = v.map((x) => x.over).sort((a, b) => a - b);
  console.log(`${c.padEnd(12)} n=${v.length} meshOutside median ${o[Math.floor(o.length / 2)]} max ${o[o.length - 1]} min ${o[0]} | boxOver median ${b[Math.floor(b.length / 2)]} max ${b[b.length - 1]} min ${b[0]}`);
  for (const x of v) if (x.outside > 0 || c.startsWith('tight')) console.log(`   ${x.file} outside ${x.outside} over ${x.over} faceFrac ${x.faceFrac}`);
}
