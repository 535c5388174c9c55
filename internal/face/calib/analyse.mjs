// analyse.mjs: numbers for the notes from results.json (see run.mjs).
//   node analyse.mjs results.json [section...]   sections: det pose id medoid
import fs from 'node:fs';
import { cosine, poseFromKeypoints } from './lib.mjs';

const [file = 'results.json', ...want] = process.argv.slice(2);
const sections = want.length ? want : ['det', 'pose', 'id', 'medoid'];
const R = JSON.parse(fs.readFileSync(file, 'utf8'));
const imgs = R.images;
// recompute keypoint pose so edits to lib.mjs apply without a rerun
for (const i of imgs) for (const f of i.faces) f.kpPose = poseFromKeypoints(f.kps);
const short = (f) => f.replace('/work/shared/fixtures/', 'fx:').replace('/work/calib/', '');
const q = (arr, p) => { const s = [...arr].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.max(0, Math.round(p * (s.length - 1))))]; };
const f3 = (x) => (x === undefined ? '-' : x.toFixed(3));

// ---------- detection ----------
if (sections.includes('det')) {
  console.log('\n## Detection (count of boxes with score >= t after greedy NMS iou 0.3)');
  const keys = Object.keys(imgs[0].det);
  const classes = {
    single: (i) => i.gt === 1 && i.pose !== 'profile' && i.pose !== 'tight' && !i.category.includes('not_real_face'),
    tight: (i) => i.pose === 'tight',
    profile: (i) => i.pose === 'profile',
    noface: (i) => i.gt === 0 && !i.category.includes('not_real_face'),
    art: (i) => i.category.includes('not_real_face'),
    group: (i) => i.gt >= 2,
  };
  const counts = Object.fromEntries(Object.entries(classes).map(([k, f]) => [k, imgs.filter(f).length]));
  console.log('images per class:', JSON.stringify(counts));
  console.log('detector        t     single=1  tight=1  profile>=1  noface=0  group(found/true)  art=0');
  const best = {};
  for (const k of keys) {
    for (const t of [0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9]) {
      const n = (i) => i.det[k].filter((d) => d.score >= t).length;
      const s = imgs.filter(classes.single).filter((i) => n(i) === 1).length;
      const ti = imgs.filter(classes.tight).filter((i) => n(i) === 1).length;
      const p = imgs.filter(classes.profile).filter((i) => n(i) >= 1).length;
      const z = imgs.filter(classes.noface).filter((i) => n(i) === 0).length;
      const g = imgs.filter(classes.group).reduce((a, i) => a + Math.min(n(i), i.gt), 0);
      const gt = imgs.filter(classes.group).reduce((a, i) => a + i.gt, 0);
      const a = imgs.filter(classes.art).filter((i) => n(i) === 0).length;
      const errs = (counts.single - s) + (counts.tight - ti) + (counts.noface - z) * 3;
      if (!best[k] || errs < best[k].errs) best[k] = { t, errs };
      console.log(`${k.padEnd(15)} ${t.toFixed(2)}  ${String(s).padStart(3)}/${counts.single}   ${String(ti).padStart(3)}/${counts.tight}   ${p}/${counts.profile}        ${z}/${counts.noface}     ${g}/${gt}              ${a}/${counts.art}`);
    }
  }
  console.log('\nmisses at each detector\'s best threshold (errors = single + tight misses + 3 x false faces):');
  for (const k of keys) {
    const { t } = best[k];
    const n = (i) => i.det[k].filter((d) => d.score >= t).length;
    const miss = imgs.filter((i) => !classes.art(i)).filter((i) => (i.gt >= 2 ? n(i) !== i.gt : n(i) !== i.gt))
      .map((i) => `${short(i.file)}=${n(i)}/${i.gt}`);
    console.log(`${k} t=${t} errs=${best[k].errs}: ${miss.join(' ')}`);
  }
  // score distribution: best score on face photos vs best score on face-free photos
  console.log('\ntop score per image: faces (single+tight) vs face-free');
  for (const k of keys) {
    const top = (i) => (i.det[k][0] ? i.det[k][0].score : 0);
    const fa = imgs.filter((i) => classes.single(i) || classes.tight(i)).map(top);
    const no = imgs.filter(classes.noface).map(top);
    const second = imgs.filter((i) => classes.single(i) || classes.tight(i)).map((i) => (i.det[k][1] ? i.det[k][1].score : 0));
    console.log(`${k.padEnd(15)} faces: min ${f3(Math.min(...fa))} p5 ${f3(q(fa, 0.05))} median ${f3(q(fa, 0.5))} | face-free max ${f3(Math.max(...no))} | 2nd box on single-face: max ${f3(Math.max(...second))} p95 ${f3(q(second, 0.95))}`);
  }
  console.log('timing ms/image (wasm, loaded machine):', JSON.stringify(R.timingMs));
}

// ---------- pose ----------
if (sections.includes('pose')) {
  console.log('\n## Pose (top back-pad face; kp = 6-keypoint geometry, mesh = Human angles.ts)');
  console.log('file                                   label    kpYaw kpYawEye kpPitch kpRoll | meshYaw meshPitch meshRoll meshScore | eyeDist/earDist');
  const rows = imgs.filter((i) => i.faces.length && i.gt === 1).map((i) => ({ i, f: i.faces[0] }));
  rows.sort((a, b) => Math.abs(b.f.meshPose.yaw) - Math.abs(a.f.meshPose.yaw));
  for (const { i, f } of rows) {
    const k = f.kpPose; const m = f.meshPose;
    console.log(`${short(i.file).padEnd(38)} ${(i.pose || '').padEnd(8)} ${k.yaw.toFixed(0).padStart(5)} ${k.yawEye.toFixed(0).padStart(7)} ${k.pitch.toFixed(0).padStart(7)} ${k.roll.toFixed(0).padStart(6)} | ${m.yaw.toFixed(0).padStart(7)} ${m.pitch.toFixed(0).padStart(8)} ${m.roll.toFixed(0).padStart(8)} ${f.meshScore.toFixed(2).padStart(9)} | ${k.eyeDistRatio.toFixed(2)}`);
  }
  const kp = rows.map((r) => r.f.kpPose.yaw); const me = rows.map((r) => r.f.meshPose.yaw);
  const mean = (a) => a.reduce((s, x) => s + x, 0) / a.length;
  const mk = mean(kp); const mm = mean(me);
  const cov = mean(kp.map((x, j) => (x - mk) * (me[j] - mm)));
  const sd = (a, m) => Math.sqrt(mean(a.map((x) => (x - m) ** 2)));
  console.log(`corr(kpYaw, meshYaw) = ${(cov / sd(kp, mk) / sd(me, mm)).toFixed(3)} over ${rows.length} faces`);
  const kr = rows.map((r) => r.f.kpPose.roll); const mr = rows.map((r) => r.f.meshPose.roll);
  const mkr = mean(kr); const mmr = mean(mr);
  console.log(`corr(kpRoll, meshRoll) = ${(mean(kr.map((x, j) => (x - mkr) * (mr[j] - mmr))) / sd(kr, mkr) / sd(mr, mmr)).toFixed(3)}`);
}

// ---------- identity ----------
function faceSet() {
  // fixtures' people are all in /work/calib too; the fixture copies are byte/pixel duplicates
  const F = imgs.filter((i) => i.gt === 1 && i.person && i.faces.length && !i.category.startsWith('fixture'))
    .map((i) => ({ file: short(i.file), person: i.person, pose: i.pose, emb: { ...i.faces[0].emb }, score: i.faces[0].score, yaw: i.faces[0].meshPose.yaw, kpYaw: i.faces[0].kpPose.yaw }));
  if (process.env.FACECAL_CENTER) {
    // mobilefacenet outputs share one dominant direction; test removing the set mean
    for (const key of Object.keys(F[0].emb).filter((k) => k.startsWith('mobilefacenet'))) {
      const n = F[0].emb[key].length; const mean = new Array(n).fill(0);
      for (const f of F) f.emb[key].forEach((v, j) => { mean[j] += v / F.length; });
      for (const f of F) f.emb[key + '-centered'] = f.emb[key].map((v, j) => v - mean[j]);
    }
  }
  return F;
}

function separation(same, diff) {
  // threshold on distance: same < thr. Best accuracy threshold, EER, margin.
  const all = [...same.map((d) => [d, 1]), ...diff.map((d) => [d, 0])].sort((a, b) => a[0] - b[0]);
  let bestErr = Infinity; let bestThr = 0;
  let fn = same.length; let fp = 0; // threshold below everything
  for (let j = 0; j <= all.length; j++) {
    const thr = j === 0 ? all[0][0] - 1e-6 : (j === all.length ? all[j - 1][0] + 1e-6 : (all[j - 1][0] + all[j][0]) / 2);
    const err = fn / same.length + fp / diff.length; // balanced
    if (err < bestErr) { bestErr = err; bestThr = thr; }
    if (j < all.length) { if (all[j][1]) fn--; else fp++; }
  }
  // AUC
  let auc = 0;
  for (const s of same) for (const d of diff) auc += s < d ? 1 : (s === d ? 0.5 : 0);
  auc /= same.length * diff.length;
  return { bestThr, bestErr: bestErr / 2, auc, margin: Math.min(...diff) - Math.max(...same) };
}

const stats = (a) => `min ${f3(Math.min(...a))} p5 ${f3(q(a, 0.05))} med ${f3(q(a, 0.5))} p95 ${f3(q(a, 0.95))} max ${f3(Math.max(...a))} (n=${a.length})`;

if (sections.includes('id')) {
  console.log('\n## Identity: cosine distance 1-cos(a,b) on the top face of each single-face photo');
  const F = faceSet();
  const people = [...new Set(F.map((f) => f.person))];
  console.log('people:', people.map((p) => `${p}:${F.filter((f) => f.person === p).length}`).join(' '));
  const keys = Object.keys(F[0].emb);
  for (const key of keys) {
    for (const scope of ['all', 'no-clm', 'frontal']) {
      const same = []; const diff = []; const sameWorst = [];
      const G = F.filter((f) => (scope !== 'no-clm' || f.person !== 'clm_author') && (scope !== 'frontal' || f.pose === 'frontal'));
      for (let a = 0; a < G.length; a++) {
        for (let b = a + 1; b < G.length; b++) {
          const d = 1 - cosine(G[a].emb[key], G[b].emb[key]);
          if (G[a].person === G[b].person) { same.push(d); sameWorst.push([d, G[a].file, G[b].file]); } else diff.push(d);
        }
      }
      const s = separation(same, diff);
      console.log(`\n${key} [${scope}]\n  same: ${stats(same)}\n  diff: ${stats(diff)}\n  AUC ${s.auc.toFixed(4)}  best threshold ${f3(s.bestThr)} (balanced error ${(100 * s.bestErr).toFixed(1)}%)  margin minDiff-maxSame ${f3(s.margin)}`);
      if (scope === 'all') {
        sameWorst.sort((x, y) => y[0] - x[0]);
        console.log('  worst same pairs:', sameWorst.slice(0, 4).map((w) => `${f3(w[0])} ${w[1]}~${w[2]}`).join(' | '));
        const dd = [];
        for (let a = 0; a < G.length; a++) for (let b = a + 1; b < G.length; b++) if (G[a].person !== G[b].person) dd.push([1 - cosine(G[a].emb[key], G[b].emb[key]), G[a].file, G[b].file]);
        dd.sort((x, y) => x[0] - y[0]);
        console.log('  closest diff pairs:', dd.slice(0, 4).map((w) => `${f3(w[0])} ${w[1]}~${w[2]}`).join(' | '));
      }
    }
  }
}

// ---------- medoid ----------
if (sections.includes('medoid')) {
  console.log('\n## Medoid test: 11 photos of one person + 8 photos of 8 other people; flag d(medoid) > thr');
  const F = faceSet();
  const thrs = JSON.parse(process.env.FACECAL_THR || '{}');
  let seed = 1;
  const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  const pick = (arr, n) => { const a = [...arr]; for (let j = a.length - 1; j > 0; j--) { const k = Math.floor(rnd() * (j + 1)); [a[j], a[k]] = [a[k], a[j]]; } return a.slice(0, n); };
  const keys = Object.keys(F[0].emb);
  for (const key of keys) {
    const thr = thrs[key];
    if (thr === undefined) continue;
    for (const main of ['clm_author', 'franck']) {
      let exact = 0; let trials = 0; let missed = 0; let falseFlag = 0; let medoidWrong = 0;
      for (let trial = 0; trial < 300; trial++) {
        const mine = pick(F.filter((f) => f.person === main && f.pose === 'frontal'), 11);
        const others = pick([...new Set(F.filter((f) => f.person !== main).map((f) => f.person))], 8)
          .map((p) => pick(F.filter((f) => f.person === p), 1)[0]);
        const set = [...mine, ...others];
        const D = set.map((a) => set.map((b) => 1 - cosine(a.emb[key], b.emb[key])));
        let med = 0; let bestSum = Infinity;
        D.forEach((row, j) => { const s = row.reduce((x, y) => x + y, 0); if (s < bestSum) { bestSum = s; med = j; } });
        if (set[med].person !== main) medoidWrong++;
        const flagged = set.map((f, j) => D[med][j] > thr);
        const ok = set.every((f, j) => flagged[j] === (f.person !== main));
        exact += ok ? 1 : 0; trials++;
        missed += set.filter((f, j) => f.person !== main && !flagged[j]).length;
        falseFlag += set.filter((f, j) => f.person === main && flagged[j]).length;
      }
      console.log(`${key} thr ${thr} main=${main}: exactly the 8 flagged in ${exact}/${trials} draws; medoid not main person ${medoidWrong}; others missed ${missed}/${trials * 8}; main flagged ${falseFlag}/${trials * 11}`);
    }
  }
}

// ---------- medoid per person: own photos vs everyone else ----------
if (sections.includes('medoid2')) {
  console.log('\n## Distance to the person\'s medoid: own photos (max) vs other people\'s photos (min)');
  const F = faceSet();
  for (const key of (process.env.FACECAL_KEYS || 'faceres/human,faceres/alignedMesh,mobileface/alignedMesh').split(',')) {
    const own = []; const other = []; const lines = [];
    for (const p of [...new Set(F.map((f) => f.person))]) {
      const mine = F.filter((f) => f.person === p);
      if (mine.length < 5) continue;
      let med = mine[0]; let best = Infinity;
      for (const a of mine) { const s = mine.reduce((x, b) => x + 1 - cosine(a.emb[key], b.emb[key]), 0); if (s < best) { best = s; med = a; } }
      const o = mine.filter((f) => f !== med).map((f) => 1 - cosine(med.emb[key], f.emb[key]));
      mine.filter((f) => f !== med).forEach((f) => { const d = 1 - cosine(med.emb[key], f.emb[key]); if (d > 0.4) lines.push(`    own > 0.40: ${f3(d)} ${f.file} (${f.pose}, yaw ${f.yaw.toFixed(0)})`); });
      const x = F.filter((f) => f.person !== p).map((f) => [1 - cosine(med.emb[key], f.emb[key]), f.file]).sort((a, b) => a[0] - b[0]);
      own.push(...o); other.push(...x.map((v) => v[0]));
      lines.push(`  ${p.padEnd(15)} n=${mine.length} medoid ${med.file}: own max ${f3(Math.max(...o))} | nearest other ${f3(x[0][0])} (${x[0][1]})`);
    }
    console.log(`${key}\n${lines.join('\n')}\n  own: ${stats(own)}\n  other: ${stats(other)}`);
    const row = [];
    for (const t of [0.38, 0.4, 0.41, 0.42, 0.43, 0.44, 0.45, 0.46, 0.48, 0.5, 0.52, 0.55]) {
      row.push(`thr ${t}: own flagged ${own.filter((d) => d > t).length}/${own.length}, others passed ${other.filter((d) => d <= t).length}/${other.length}`);
    }
    console.log('  ' + row.join('\n  '));
  }
}
