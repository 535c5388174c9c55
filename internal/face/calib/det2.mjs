// det2.mjs: detector variants beyond run.mjs: a grey border around the image
// (helps faces cut by the frame, as pigo's 25% border does), letterboxing, and
// a second pass on 2x2 overlapping tiles for small faces.
//   node det2.mjs images.tsv det2.json
import fs from 'node:fs';
import * as L from './lib.mjs';

const [list = 'images_all.tsv', outFile = 'det2.json'] = process.argv.slice(2);
const rows = fs.readFileSync(list, 'utf8').trim().split('\n').slice(1).map((l) => {
  const [file, person, gt, pose, category] = l.split('\t');
  return { file, person, gt: Number(gt), pose, category };
});
await L.initBackend();
const M = { front: await L.loadModel('blazeface-front'), back: await L.loadModel('blazeface-back') };

function border(t, frac, value = 128) {
  const [, H, W] = t.shape;
  const b = Math.round(Math.max(W, H) * frac);
  return { t: L.tf.pad(t, [[0, 0], [b, b], [b, b], [0, 0]], value), b };
}

const out = [];
for (const r of rows) {
  const img = L.decodeImage(r.file);
  const t = L.imageTensor(img);
  const res = { ...r, w: img.w, h: img.h, det: {} };
  const keep = (ds, dx = 0, dy = 0) => ds.map((d) => ({ score: +d.score.toFixed(4), box: d.box.map((v, k) => +(v - (k % 2 ? dy : dx)).toFixed(1)), kps: d.kps.map((p) => [+(p[0] - dx).toFixed(1), +(p[1] - dy).toFixed(1)]) }));
  for (const m of ['front', 'back']) {
    for (const frac of [0.1, 0.25]) {
      const { t: bt, b } = border(t, frac);
      const ds = L.nms(await L.rawDetections(M[m], bt, { mode: 'pad', minScore: 0.05 }), { minScore: 0.05, iouThr: 0.3 }).slice(0, 20);
      bt.dispose();
      res.det[`${m}-border${frac * 100}`] = keep(ds, b, b);
    }
  }
  // tiles: 2x2 with 50% overlap of the letterboxed square (3x3 grid of half-size windows)
  const [, H, W] = t.shape;
  const side = Math.max(W, H); const half = side / 2;
  const tiles = [];
  for (const oy of [0, half / 2, half]) {
    for (const ox of [0, half / 2, half]) {
      const x0 = Math.round(ox - (side - W) / 2); const y0 = Math.round(oy - (side - H) / 2);
      const crop = L.tf.tidy(() => L.tf.image.cropAndResize(t, [[y0 / (H - 1), x0 / (W - 1), (y0 + half) / (H - 1), (x0 + half) / (W - 1)]], [0], [128, 128], "bilinear", 0));
      const ds = await L.rawDetections(M.front, crop, { mode: 'stretch', minScore: 0.3 });
      crop.dispose();
      const s = half / 128;
      for (const d of ds) tiles.push({ score: d.score, box: d.box.map((v, k) => v * s + (k % 2 ? y0 : x0)), kps: d.kps.map((p) => [p[0] * s + x0, p[1] * s + y0]) });
    }
  }
  res.det['front-tiles'] = keep(L.nms(tiles, { minScore: 0.3, iouThr: 0.3 }).slice(0, 20));
  t.dispose();
  out.push(res);
  const n = (k, th) => res.det[k].filter((d) => d.score >= th).length;
  console.log(r.file.split('/').slice(-2).join('/'), 'gt', r.gt, Object.keys(res.det).map((k) => `${k}=${n(k, 0.5)}`).join(' '));
}
fs.writeFileSync(outFile, JSON.stringify(out));
