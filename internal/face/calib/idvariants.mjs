// idvariants.mjs: FaceRes input variants on the faces found by run.mjs:
// crop margin (1.0/1.2/1.4/1.6 x the detector box) and colour handling
// (Human: RGB 0..255; upstream HSE code: BGR minus the ImageNet means).
//   node idvariants.mjs results3.json idvariants.json
import fs from 'node:fs';
import * as L from './lib.mjs';

const [inFile = 'results3.json', outFile = 'idvariants.json'] = process.argv.slice(2);
const R = JSON.parse(fs.readFileSync(inFile, 'utf8'));
await L.initBackend();
const faceres = await L.loadModel('faceres');
const run = async (x) => {
  const t = L.tf.tidy(() => faceres.execute(x).find((o) => o.shape[1] === 1024));
  const v = Array.from(await t.data()); t.dispose(); return v.map((n) => +n.toFixed(5));
};
const out = { images: [] };
for (const im of R.images) {
  if (im.gt !== 1 || !im.person || !im.faces.length || im.category.startsWith('fixture')) continue;
  const img = L.decodeImage(im.file);
  const t = L.imageTensor(img);
  const d = im.faces[0];
  const emb = {};
  for (const scale of [1.0, 1.2, 1.4, 1.6]) {
    const x = L.tf.tidy(() => L.tf.mul(L.cutAndResize(t, L.humanBox(d, scale), 224), 255));
    emb[`rgb255/x${scale}`] = await run(x);
    if (scale === 1.4) {
      const bgr = L.tf.tidy(() => L.tf.sub(L.tf.reverse(x, 3), L.tf.tensor1d([103.939, 116.779, 123.68])));
      emb[`bgrmean/x${scale}`] = await run(bgr);
      bgr.dispose();
      const gray = L.tf.tidy(() => L.tf.tile(L.tf.mean(x, 3, true), [1, 1, 1, 3]));
      emb[`gray255/x${scale}`] = await run(gray);
      gray.dispose();
    }
    x.dispose();
  }
  t.dispose();
  out.images.push({ ...im, faces: [{ ...d, emb }] });
  process.stdout.write('.');
}
fs.writeFileSync(outFile, JSON.stringify(out));
console.log('\nfaces', out.images.length);
