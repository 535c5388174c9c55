// pose_analyse.mjs: |yaw| per labelled pose class for each method, and the
// mirror check (yaw(image) + yaw(mirrored) should be ~0).
import fs from 'node:fs';
const P = JSON.parse(fs.readFileSync(process.argv[2] || 'pose.json', 'utf8'));
const methods = {
  kpYaw: (r) => r.kp.yaw, humanYaw: (r) => r.human.yaw, yaw3d: (r) => -r.geo.yaw3d, yawNose: (r) => -r.geo.yawNose,
  humanPitch: (r) => r.human.pitch, pitch3d: (r) => r.geo.pitch3d, kpPitch: (r) => r.kp.pitch, humanRoll: (r) => r.human.roll, geoRoll: (r) => r.geo.roll, kpRoll: (r) => r.kp.roll,
};
const q = (a, p) => { const s = [...a].sort((x, y) => x - y); return s[Math.round(p * (s.length - 1))]; };
const label = (r) => r.pose || (r.category.includes('multi') ? 'group' : 'frontal');
const orig = P.filter((r) => !r.mirror && r.found);
const classes = [...new Set(orig.map(label))];
console.log('found (front, >=0.5):', orig.length, 'of', P.filter((r) => !r.mirror).length);
for (const [m, f] of Object.entries(methods)) {
  const parts = classes.map((c) => { const v = orig.filter((r) => label(r) === c).map((r) => Math.abs(f(r))); return `${c}(${v.length}): med ${q(v, 0.5).toFixed(0)} p95 ${q(v, 0.95).toFixed(0)} max ${Math.max(...v).toFixed(0)}`; });
  // mirror consistency
  const pairs = [];
  for (const r of orig) {
    const mr = P.find((x) => x.mirror && x.file === r.file && x.found);
    if (mr) pairs.push(m.includes('Pitch') || m.includes('pitch') ? Math.abs(f(r) - f(mr)) : Math.abs(f(r) + f(mr)));
  }
  console.log(`${m.padEnd(11)} ${parts.join(' | ')} | mirror err med ${q(pairs, 0.5).toFixed(1)} p95 ${q(pairs, 0.95).toFixed(1)}`);
}
const show = orig.filter((r) => label(r) !== 'frontal' || Math.abs(-r.geo.yawNose) > 30 || Math.abs(r.human.yaw) > 20);
console.log('\nnon-frontal labels and frontal outliers:');
for (const r of show) console.log(`  ${r.file.split('/').slice(-2).join('/').padEnd(40)} ${label(r).padEnd(12)} kp ${r.kp.yaw.toFixed(0)} human ${r.human.yaw.toFixed(0)} yaw3d ${(-r.geo.yaw3d).toFixed(0)} nose ${(-r.geo.yawNose).toFixed(0)} | pitch human ${r.human.pitch.toFixed(0)} 3d ${r.geo.pitch3d.toFixed(0)} kp ${r.kp.pitch.toFixed(0)} | meshScore ${r.meshScore.toFixed(2)} faceFrac ${r.faceFrac.toFixed(2)}`);
