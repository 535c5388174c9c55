// facesize.mjs: how small can a face be? Each photo is shrunk so the detected
// face box is w px wide, then detection (detectFaces) and the FaceRes distance
// to the full-size face are measured.
//   node facesize.mjs photo...
import { execFileSync } from 'node:child_process';
import * as L from './lib.mjs';

await L.initBackend();
const front = await L.loadModel('blazeface-front');
const back = await L.loadModel('blazeface-back');
const faceres = await L.loadModel('faceres');
const widths = [16, 20, 24, 32, 40, 48, 64, 96];
const describe = async (t, d) => { const c = L.cutAndResize(t, L.humanBox(d), 224); const v = await L.embed(faceres, c, 'hse'); c.dispose(); return v; };
const table = {};
for (const file of process.argv.slice(2)) {
  const img = L.decodeImage(file);
  const t = L.imageTensor(img);
  const d0 = (await L.detectFaces(front, back, t))[0];
  const ref = await describe(t, d0);
  t.dispose();
  const fw = d0.box[2] - d0.box[0];
  const row = [];
  for (const w of widths) {
    const s = w / fw;
    if (s >= 1) { row.push('-'); continue; }
    const W = Math.max(8, Math.round(img.w * s)); const H = Math.max(8, Math.round(img.h * s));
    // FACECAL_CANVAS=WxH: paste the shrunk photo in the middle of a grey canvas (small face in a big photo)
    const canvas = process.env.FACECAL_CANVAS;
    const extra = canvas ? ['-background', 'gray50', '-gravity', 'center', '-extent', canvas] : [];
    const raw = execFileSync('convert', [file + '[0]', '-auto-orient', '-colorspace', 'sRGB', '-alpha', 'off', '-resize', `${W}x${H}!`, ...extra, '-depth', '8', 'rgb:-'], { maxBuffer: 1 << 28 });
    const [CW, CH] = canvas ? canvas.split('x').map(Number) : [W, H];
    const small = { w: CW, h: CH, data: new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength) };
    const ts = L.imageTensor(small);
    const ds = await L.detectFaces(front, back, ts, { tiles: Number(process.env.FACECAL_TILES || 0) });
    let cell = `n=${ds.length}`;
    if (ds.length) {
      const v = await describe(ts, ds[0]);
      cell += ` ${ds[0].from[0]}${ds[0].score.toFixed(2)} d=${(1 - L.cosine(ref, v)).toFixed(3)}`;
    }
    ts.dispose();
    row.push(cell);
    (table[w] = table[w] || []).push(ds.length ? 1 - L.cosine(ref, await describe(L.imageTensor(small), ds[0])) : null);
  }
  console.log(file.split('/').pop().padEnd(34), `face ${fw.toFixed(0)}px |`, widths.map((w, i) => `${w}:${row[i]}`).join(' | '));
}
for (const w of widths) {
  const v = (table[w] || []).filter((x) => x !== null);
  if (v.length) console.log(`face ${w}px: found ${v.length}/${table[w].length}, distance to full size max ${Math.max(...v).toFixed(3)} mean ${(v.reduce((a, b) => a + b, 0) / v.length).toFixed(3)}`);
}
