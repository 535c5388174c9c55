// twothr.mjs: front@0.55 + back@hi decide whether a photo has a face; once it
// has one, back boxes down to lo also count (extra faces in group photos).
import fs from 'node:fs';
import { suppress } from './lib.mjs';
const R3 = JSON.parse(fs.readFileSync('results3.json', 'utf8')).images;
for (const [hi, lo] of [[0.8, 0.8], [0.8, 0.7], [0.8, 0.6], [0.8, 0.5]]) {
  const cls = { single: [0, 0], tight: [0, 0], pose: [0, 0], noface: [0, 0], groupFaces: [0, 0], art0: [0, 0] };
  const miss = [];
  for (const i of R3) {
    const f = i.det['front-border10'].filter((d) => d.score >= 0.55).map((d) => ({ ...d, rank: 1 + d.score }));
    const bHi = i.det['back-border25'].filter((d) => d.score >= hi);
    let faces = suppress([...f, ...bHi]);
    if (faces.length) faces = suppress([...f, ...i.det['back-border25'].filter((d) => d.score >= lo)]);
    const n = faces.length;
    const c = i.category.includes('not_real_face') ? 'art0' : i.gt === 0 ? 'noface' : i.gt > 1 ? 'groupFaces' : i.pose === 'tight' ? 'tight' : ['profile', 'threequarter', 'pitchdown'].includes(i.pose) ? 'pose' : 'single';
    if (c === 'groupFaces') { cls[c][0] += Math.min(n, i.gt); cls[c][1] += i.gt; } else { cls[c][1]++; if ((c === 'noface' || c === 'art0') ? n === 0 : n === 1) cls[c][0]++; }
    if (c !== 'art0' && n !== i.gt) miss.push(`${i.file.split('/').slice(-2).join('/')}=${n}/${i.gt}`);
  }
  console.log(`hi ${hi} lo ${lo}:`, Object.entries(cls).map(([k, [a, b]]) => `${k} ${a}/${b}`).join('  '), '| misses:', miss.join(' '));
}
