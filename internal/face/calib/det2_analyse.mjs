// det2_analyse.mjs: detection strategies on det2.json (+ results.json for the
// plain variants): counts per class and the misses.
//   node det2_analyse.mjs det2.json results.json
import fs from 'node:fs';
import { iou } from './lib.mjs';

const [f2 = 'det2.json', f1 = 'results.json'] = process.argv.slice(2);
const D2 = JSON.parse(fs.readFileSync(f2, 'utf8'));
const R1 = JSON.parse(fs.readFileSync(f1, 'utf8')).images;
const extra = fs.existsSync('results2.json') ? JSON.parse(fs.readFileSync('results2.json', 'utf8')).images : [];
const by = Object.fromEntries([...R1, ...extra].map((i) => [i.file, i]));
const imgs = D2.map((i) => ({ ...i, det: { ...(by[i.file] ? by[i.file].det : {}), ...i.det } }));
const short = (f) => f.replace('/work/shared/fixtures/', 'fx:').replace('/work/calib/', '');

const classes = {
  single: (i) => i.gt === 1 && !['profile', 'tight', 'threequarter', 'pitchdown'].includes(i.pose) && !i.category.includes('not_real_face'),
  tight: (i) => i.pose === 'tight',
  'profile/3q/down': (i) => ['profile', 'threequarter', 'pitchdown'].includes(i.pose),
  noface: (i) => i.gt === 0 && !i.category.includes('not_real_face'),
  art: (i) => i.category.includes('not_real_face'),
  group: (i) => i.gt >= 2,
};
const inside = (a, b) => { const cx = (a[0] + a[2]) / 2; const cy = (a[1] + a[3]) / 2; return cx > b[0] && cx < b[2] && cy > b[1] && cy < b[3]; };
// suppress: drop a box whose centre lies inside a kept (stronger) box, or IoU > iouThr
function suppress(ds, iouThr = 0.1) {
  const keep = [];
  for (const d of [...ds].sort((a, b) => b.score - a.score)) if (!keep.some((k) => iou(k.box, d.box) > iouThr || inside(d.box, k.box) || inside(k.box, d.box))) keep.push(d);
  return keep;
}
const strategies = {};
for (const k of ['front-stretch', 'front-pad', 'back-pad', 'front-border10', 'front-border25', 'back-border10', 'back-border25']) {
  for (const t of [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8]) {
    strategies[`${k}@${t}`] = (i) => (i.det[k] ? i.det[k].filter((d) => d.score >= t) : null);
    strategies[`${k}@${t}+supp`] = (i) => (i.det[k] ? suppress(i.det[k].filter((d) => d.score >= t)) : null);
  }
}
for (const base of ['front-stretch', 'front-border10']) {
  for (const t2 of [0.6, 0.7, 0.75, 0.8, 0.85]) {
    strategies[`${base}@0.5 + tiles@${t2}`] = (i) => {
      if (!i.det[base] || !i.det['front-tiles']) return null;
      const a = i.det[base].filter((d) => d.score >= 0.5);
      const b = i.det['front-tiles'].filter((d) => d.score >= t2);
      return suppress([...a.map((d) => ({ ...d, score: d.score + 1 })), ...b]);
    };
  }
}
for (const t1 of [0.5, 0.55, 0.6]) {
  for (const [k2, t2] of [['back-border25', 0.8], ['back-border25', 0.85], ['back-pad', 0.85], ['front-tiles', 0.8], ['front-tiles', 0.85]]) {
    strategies[`front-border10@${t1} + ${k2}@${t2}`] = (i) => {
      if (!i.det['front-border10'] || !i.det[k2]) return null;
      const a = i.det['front-border10'].filter((d) => d.score >= t1);
      const b = i.det[k2].filter((d) => d.score >= t2);
      return suppress([...a.map((d) => ({ ...d, score: d.score + 1 })), ...b]);
    };
  }
}
const counts = Object.fromEntries(Object.entries(classes).map(([k, f]) => [k, imgs.filter(f).length]));
console.log('images per class:', JSON.stringify(counts));
const rows = [];
for (const [name, s] of Object.entries(strategies)) {
  if (imgs.some((i) => s(i) === null)) continue;
  const n = (i) => s(i).length;
  const r = {
    name,
    single: imgs.filter(classes.single).filter((i) => n(i) === 1).length,
    tight: imgs.filter(classes.tight).filter((i) => n(i) === 1).length,
    pose: imgs.filter(classes['profile/3q/down']).filter((i) => n(i) === 1).length,
    noface: imgs.filter(classes.noface).filter((i) => n(i) === 0).length,
    group: imgs.filter(classes.group).reduce((a, i) => a + Math.min(n(i), i.gt), 0),
    groupOver: imgs.filter(classes.group).reduce((a, i) => a + Math.max(0, n(i) - i.gt), 0),
    art: imgs.filter(classes.art).filter((i) => n(i) === 0).length,
  };
  r.err = (counts.single - r.single) + (counts.tight - r.tight) + (counts['profile/3q/down'] - r.pose) + 3 * (counts.noface - r.noface);
  r.misses = imgs.filter((i) => !classes.art(i)).filter((i) => n(i) !== i.gt).map((i) => `${short(i.file)}=${n(i)}/${i.gt}`);
  rows.push(r);
}
const gt = imgs.filter(classes.group).reduce((a, i) => a + i.gt, 0);
rows.sort((a, b) => a.err - b.err || b.group - a.group);
console.log('strategy                                single  tight  pose  noface=0  group(found/true, extra)  art=0  err');
for (const r of rows) console.log(`${r.name.padEnd(38)} ${r.single}/${counts.single}  ${r.tight}/${counts.tight}  ${r.pose}/${counts['profile/3q/down']}  ${r.noface}/${counts.noface}  ${r.group}/${gt} +${r.groupOver}  ${r.art}/${counts.art}  ${r.err}`);
for (const r of rows.slice(0, 6)) console.log(`\n${r.name} misses: ${r.misses.join(' ')}`);
