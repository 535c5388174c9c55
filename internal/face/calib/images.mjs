// images.mjs: build the image list run.mjs reads from the shared fixtures'
// manifest and a calibration manifest (file, person, gt_faces, pose, ...).
//   node images.mjs /work/shared/fixtures /work/calib > images.tsv
import fs from 'node:fs';
import path from 'node:path';

const [fixtures, calib] = process.argv.slice(2);
const rows = [];
const tsv = (f) => fs.readFileSync(f, 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
if (fixtures) {
  for (const c of tsv(path.join(fixtures, 'manifest.tsv'))) {
    if (c[0].startsWith('hostile/')) continue;
    // people that the calibration set carries too are taken from there
    if (calib && (c[1].startsWith('person_') || ['single/astronaut_skimage.png', 'single/grace_hopper_512x512.jpg', 'single/cameraman_skimage.png'].includes(c[0]))) continue;
    rows.push([path.join(fixtures, c[0]), c[2], c[3], c[0].includes('cameraman') ? 'profile' : '', `fixture:${c[1]}`]);
  }
}
if (calib) {
  for (const c of tsv(path.join(calib, 'manifest.tsv'))) rows.push([path.join(calib, c[0]), c[1], c[2], c[3], c[0].startsWith('multi/') ? 'calib:multi' : 'calib']);
}
console.log(['file', 'person', 'gt', 'pose', 'category'].join('\t'));
for (const r of rows) console.log(r.join('\t'));
