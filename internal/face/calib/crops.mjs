// crops.mjs: make tight-crop test cases. For each input, detect the face with
// blazeface-back (letterboxed) and write crops of the detector box scaled by
// each factor (1.0 = the detector box, roughly brows to chin; <1 cuts into the
// face). node crops.mjs outdir factor[,factor] file...
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import * as L from './lib.mjs';

const [outDir, factors, ...files] = process.argv.slice(2);
await L.initBackend();
const back = await L.loadModel('blazeface-back');
for (const file of files) {
  const img = L.decodeImage(file, 4096);
  const t = L.imageTensor(img);
  const d = L.nms(await L.rawDetections(back, t, { mode: 'pad' }), { minScore: 0.5 })[0];
  t.dispose();
  if (!d) { console.error('no face', file); continue; }
  const [x1, y1, x2, y2] = d.box;
  for (const f of factors.split(',').map(Number)) {
    const cx = (x1 + x2) / 2; const cy = (y1 + y2) / 2;
    const w = Math.round((x2 - x1) * f); const h = Math.round((y2 - y1) * f);
    const x = Math.max(0, Math.round(cx - w / 2)); const y = Math.max(0, Math.round(cy - h / 2));
    const out = path.join(outDir, `${path.basename(file).replace(/\.[^.]+$/, '')}_tight${Math.round(f * 100)}.jpg`);
    // decodeImage may have shrunk the image; crop on the same geometry
    execFileSync('convert', [file + '[0]', '-auto-orient', '-resize', `${img.w}x${img.h}!`, '-crop', `${w}x${h}+${x}+${y}`, '+repage', '-quality', '90', out]);
    console.log(out, `${w}x${h}`, d.score.toFixed(3));
  }
}
