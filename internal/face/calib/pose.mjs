// pose.mjs: yaw/pitch/roll estimates for the top face of every image, from
// the blazeface-front keypoints and from FaceMesh, several ways; also runs
// each image mirrored (yaw and roll must change sign, pitch must not).
//   node pose.mjs images.tsv pose.json
import fs from 'node:fs';
import * as L from './lib.mjs';

const [list = 'images.tsv', outFile = 'pose.json'] = process.argv.slice(2);
const rows = fs.readFileSync(list, 'utf8').trim().split('\n').slice(1).map((l) => {
  const [file, person, gt, pose, category] = l.split('\t');
  return { file, person, gt: Number(gt), pose, category };
}).filter((r) => r.gt >= 1);
await L.initBackend();
const front = await L.loadModel('blazeface-front');
// FACECAL_POSE_DET=stretch: the plain Human-style detector; default: L.detectFaces
const back = process.env.FACECAL_POSE_DET === 'stretch' ? null : await L.loadModel('blazeface-back');
const mesh = await L.loadModel('facemesh');
const deg = (r) => r * 180 / Math.PI;

// meshAngles: simple geometry on the 468 points (image px; z scaled to px).
function meshAngles(p) {
  const l = p[234]; const r = p[454]; const nose = p[1]; const top = p[10]; const chin = p[152];
  const eL = p[33]; const eR = p[263];
  // yaw from the depth difference of the two cheek points (MediaPipe z: smaller = nearer)
  const yaw3d = deg(Math.atan2(r[2] - l[2], r[0] - l[0]));
  // yaw from where the nose tip sits between the cheek edges (0.5 = frontal)
  const t = (nose[0] - l[0]) / Math.max(1e-6, r[0] - l[0]);
  const yawNose = deg(Math.asin(Math.max(-1, Math.min(1, 2 * t - 1))));
  const pitch3d = deg(Math.atan2(chin[2] - top[2], chin[1] - top[1]));
  const roll = deg(Math.atan2(eR[1] - eL[1], eR[0] - eL[0]));
  return { yaw3d, yawNose, pitch3d, roll };
}

const out = [];
for (const r of rows) {
  const img = L.decodeImage(r.file);
  for (const mirror of [false, true]) {
    let t = L.imageTensor(img);
    if (mirror) { const f = L.tf.reverse(t, 2); t.dispose(); t = f; }
    const dets = back ? await L.detectFaces(front, back, t) : L.nms(await L.rawDetections(front, t, { mode: 'stretch' }), { minScore: 0.5, iouThr: 0.3 });
    if (!dets.length) { t.dispose(); out.push({ ...r, mirror, found: false }); continue; }
    const d = dets[0];
    const m = process.env.FACECAL_MESH_REFINE ? await L.runMeshRefined(mesh, t, d) : await L.runMesh(mesh, t, d);
    t.dispose();
    const bw = m.cropBox[2] - m.cropBox[0];
    const p = m.mesh.map((q) => [q[0], q[1], q[2] * bw / 192]);
    out.push({
      ...r, mirror, found: true, score: d.score, kp: L.poseFromKeypoints(d.kps), human: m.pose, meshScore: m.faceScore, geo: meshAngles(p),
      faceFrac: (d.box[2] - d.box[0]) / img.w,
    });
  }
  const a = out[out.length - 2]; const b = out[out.length - 1];
  if (a.found) console.log(r.file.split('/').slice(-2).join('/'), 'kpYaw', a.kp.yaw.toFixed(0), 'human', a.human.yaw.toFixed(0), 'yaw3d', a.geo.yaw3d.toFixed(0), 'yawNose', a.geo.yawNose.toFixed(0), '| mirrored', b.found ? [b.kp.yaw, b.human.yaw, b.geo.yaw3d, b.geo.yawNose].map((v) => v.toFixed(0)).join(' ') : '-');
}
fs.writeFileSync(outFile, JSON.stringify(out));
