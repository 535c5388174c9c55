// run.mjs: one pass over every image: detections (all candidates >= 0.05
// after greedy NMS, so any threshold can be applied later), pose from the
// BlazeFace keypoints and from FaceMesh, and embeddings from three models with
// Human's crop and with an eye-aligned crop. Writes results.json.
//
//   node run.mjs images.tsv results.json
// images.tsv: file<TAB>person<TAB>gt_faces<TAB>pose<TAB>category (with header)
import fs from 'node:fs';
import * as L from './lib.mjs';

const [list = 'images.tsv', outFile = 'results.json'] = process.argv.slice(2);
const rows = fs.readFileSync(list, 'utf8').trim().split('\n').slice(1).map((l) => {
  const [file, person, gt, pose, category] = l.split('\t');
  return { file, person, gt: Number(gt), pose, category };
});

const backend = await L.initBackend();
const det = {};
for (const [m, file] of [['front', 'blazeface-front'], ['back', 'blazeface-back'], ['short', 'facemesh-detection-short'], ['full', 'facemesh-detection-full']]) det[m] = await L.loadModel(file);
const mesh = await L.loadModel('facemesh');
const emb = {};
for (const name of (process.env.FACECAL_EMB || 'mobilefacenet,mobileface,faceres').split(',')) emb[name] = await L.loadModel(name);
// [model, mode, border]; key = model-mode or model-border<pct>
const variants = (process.env.FACECAL_VARIANTS || 'front-stretch,front-pad,back-stretch,back-pad,short-pad,full-pad,front-border10,back-border10')
  .split(',').map((k) => { const [m, v] = k.split('-'); return v.startsWith('border') ? [m, 'pad', Number(v.slice(6)) / 100, k] : [m, v, 0, k]; });
const results = { backend, images: [] };
const timing = {};
const tick = (k, t0) => { timing[k] = (timing[k] || 0) + (performance.now() - t0); };

for (const r of rows) {
  let img;
  try { img = L.decodeImage(r.file); } catch (e) { console.error('decode', r.file, e.message); continue; }
  const imgT = L.imageTensor(img);
  const out = { ...r, w: img.w, h: img.h, det: {}, faces: [] };
  for (const [m, mode, border, key] of variants) {
    const t0 = performance.now();
    const raw = await L.rawDetections(det[m], imgT, { mode, minScore: 0.05, border });
    tick(key, t0);
    out.det[key] = L.nms(raw, { minScore: 0.05, iouThr: 0.3 }).slice(0, 20)
      .map((d) => ({ score: +d.score.toFixed(4), box: d.box.map((v) => +v.toFixed(1)), kps: d.kps.map((p) => p.map((v) => +v.toFixed(1))) }));
  }
  // Faces to describe: FACECAL_DESCRIBE detector (default back-pad), top 4 with score >= 0.3
  const faces = out.det[process.env.FACECAL_DESCRIBE || 'back-pad'].filter((d) => d.score >= 0.3).slice(0, 4);
  for (const d of faces) {
    const f = { score: d.score, box: d.box, kps: d.kps, kpPose: L.poseFromKeypoints(d.kps) };
    let t0 = performance.now();
    const m = await L.runMesh(mesh, imgT, d);
    tick('mesh', t0);
    f.meshScore = +m.faceScore.toFixed(3);
    f.meshPose = m.pose;
    // FaceMesh eye corners / nose / mouth give a second set of alignment points
    const mp = m.mesh;
    const avg = (ids) => [ids.reduce((s, i) => s + mp[i][0], 0) / ids.length, ids.reduce((s, i) => s + mp[i][1], 0) / ids.length];
    const meshKps = [avg([33, 133]), avg([362, 263]), mp[1], avg([13, 14]), mp[234], mp[454]];
    f.emb = {};
    const faceT = L.humanFaceTensor(imgT, d);
    const alT = L.tf.tidy(() => L.tf.div(L.alignedFace(img, d.kps, 112), 255));
    const alMeshT = L.tf.tidy(() => L.tf.div(L.alignedFace(img, meshKps, 112), 255));
    for (const [name, model] of Object.entries(emb)) {
      t0 = performance.now();
      f.emb[`${name}/human`] = (await L.embed(model, faceT)).map((v) => +v.toFixed(5));
      tick(name, t0);
      f.emb[`${name}/aligned`] = (await L.embed(model, alT)).map((v) => +v.toFixed(5));
      f.emb[`${name}/alignedMesh`] = (await L.embed(model, alMeshT)).map((v) => +v.toFixed(5));
      if (name === 'faceres') {
        // crop straight to 224 instead of Human's 192 then up to 224
        const direct = L.cutAndResize(imgT, L.humanBox(d), 224);
        f.emb[`${name}/direct224`] = (await L.embed(model, direct)).map((v) => +v.toFixed(5));
        direct.dispose();
      }
      if (name === 'mobilefacenet') {
        f.emb[`${name}/human-pm1`] = (await L.embed(model, faceT, 'pm1')).map((v) => +v.toFixed(5));
        f.emb[`${name}/aligned-pm1`] = (await L.embed(model, alT, 'pm1')).map((v) => +v.toFixed(5));
      }
    }
    L.tf.dispose([faceT, alT, alMeshT]);
    out.faces.push(f);
  }
  imgT.dispose();
  results.images.push(out);
  const top = (k) => out.det[k].filter((d) => d.score >= 0.5).length;
  console.log(`${r.file}\tgt=${r.gt}\t${Object.keys(out.det).map((k) => `${k}=${top(k)}`).join(' ')}\t${out.faces.map((f) => `yaw ${f.kpPose.yaw.toFixed(0)}/${f.meshPose.yaw.toFixed(0)}`).join(' ')}`);
}
results.timingMs = Object.fromEntries(Object.entries(timing).map(([k, v]) => [k, +(v / results.images.length).toFixed(1)]));
fs.writeFileSync(outFile, JSON.stringify(results));
console.log('avg ms per image', results.timingMs);
