// compare_pigo.mjs: the recommended detector, counted the way
// internal/dataset/calibrate_test.go counts pigo (fixtures) and on /work/calib.
import fs from 'node:fs';
import { iou } from './lib.mjs';
const R3 = JSON.parse(fs.readFileSync('results3.json', 'utf8')).images;
const D2 = Object.fromEntries(JSON.parse(fs.readFileSync('det2.json', 'utf8')).map((i) => [i.file, i]));
const inside = (a, b) => { const cx = (a[0] + a[2]) / 2; const cy = (a[1] + a[3]) / 2; return cx > b[0] && cx < b[2] && cy > b[1] && cy < b[3]; };
const suppress = (ds) => { const keep = []; for (const d of [...ds].sort((a, b) => b.score - a.score)) if (!keep.some((k) => iou(k.box, d.box) > 0.1 || inside(d.box, k.box) || inside(k.box, d.box))) keep.push(d); return keep; };
const strategies = {
  'front-border10@0.55': (i) => suppress(i.det['front-border10'].filter((d) => d.score >= 0.55)),
  'front-border10@0.55 + back-border25@0.8': (i) => suppress([...i.det['front-border10'].filter((d) => d.score >= 0.55).map((d) => ({ ...d, score: d.score + 1 })), ...i.det['back-border25'].filter((d) => d.score >= 0.8)]),
  'front-border10@0.55 + tiles@0.8': (i) => suppress([...i.det['front-border10'].filter((d) => d.score >= 0.55).map((d) => ({ ...d, score: d.score + 1 })), ...D2[i.file].det['front-tiles'].filter((d) => d.score >= 0.8)]),
};
for (const [name, s] of Object.entries(strategies)) {
  for (const scope of ['fixture', 'calib']) {
    const I = R3.filter((i) => i.category.startsWith(scope));
    let single = 0; let singleOK = 0; let zero = 0; let zeroOK = 0; let mt = 0; let mf = 0; let art = 0; let artZ = 0; const miss = [];
    for (const i of I) {
      const n = s(i).length;
      if (i.category.includes('not_real_face')) { art++; if (n === 0) artZ++; continue; }
      if (i.gt === 1) { single++; if (n === 1) singleOK++; else miss.push(`${i.file.split('/').slice(-2).join('/')}=${n}`); } else if (i.gt === 0) { zero++; if (n === 0) zeroOK++; else miss.push(`${i.file.split('/').pop()}=${n}`); } else { mt += i.gt; mf += Math.min(n, i.gt); if (n !== i.gt) miss.push(`${i.file.split('/').pop()}=${n}/${i.gt}`); }
    }
    console.log(`${name} [${scope}] single ${singleOK}/${single}  face-free ${zeroOK}/${zero}  group faces ${mf}/${mt}  art zero ${artZ}/${art}  misses: ${miss.join(' ')}`);
  }
}
