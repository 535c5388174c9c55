// gen.js writes the golden outputs that internal/nn's tests compare against.
// It runs each model with the TF.js CPU backend on a deterministic
// pseudo-random input and stores every graph output (float32, little-endian,
// base64) in ../golden/<model>.json. Tests never run this script.
//
// usage: npm ci && node gen.js /work/models/human-models-3.0.4
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

// Input value range per model; seed and xorshift32 are mirrored in nn_test.go.
const MODELS = {
  'blazeface-front': [-1, 1],
  'blazeface-back': [-1, 1],
  'mobilefacenet': [0, 1],
  'mobileface': [0, 1],
  'faceres': [0, 1],
  'facemesh': [0, 1],
  'iris': [0, 1],
  'emotion': [0, 1],
};
const SEED = 0x9e3779b9;

function fill(n, lo, hi) {
  const out = new Float32Array(n);
  let x = SEED >>> 0;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out[i] = Math.fround(lo + (hi - lo) * ((x >>> 8) / 16777216));
  }
  return out;
}

// Outputs are the signature's outputs when it names graph nodes, else the
// non-Const nodes nothing else consumes; sorted by name. The same rule as
// Model.Outputs.
function graphOutputs(json) {
  const nodes = json.modelTopology.node;
  const sig = json.signature || (json.userDefinedMetadata || {}).signature || {};
  const have = new Set(nodes.map((n) => n.name));
  const named = Object.values(sig.outputs || {}).map((o) => (o.name || '').split(':')[0]);
  if (named.length > 0 && named.every((nm) => have.has(nm))) return [...new Set(named)].sort();
  const used = new Set();
  for (const n of nodes) for (const i of n.input || []) used.add(i.replace(/^\^/, '').split(':')[0]);
  return nodes.filter((n) => n.op !== 'Const' && !used.has(n.name)).map((n) => n.name).sort();
}

// Photos (128x128 RGB bytes in ../, see ../README.md) run through
// blazeface-front with pixels mapped to [-1, 1]; only the two score outputs
// are kept.
const PHOTOS = ['astronaut', 'coffee'];

async function loadModel(dir, name) {
  const json = JSON.parse(fs.readFileSync(path.join(dir, name + '.json'), 'utf8'));
  const bins = [];
  for (const g of json.weightsManifest) for (const p of g.paths) bins.push(fs.readFileSync(path.join(dir, p)));
  const buf = Buffer.concat(bins);
  const weightData = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  const weightSpecs = [].concat(...json.weightsManifest.map((g) => g.weights));
  const model = await tf.loadGraphModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData }));
  return { json, model };
}

async function photos(dir) {
  const { model } = await loadModel(dir, 'blazeface-front');
  for (const photo of PHOTOS) {
    const file = photo + '-128.rgb';
    const rgb = fs.readFileSync(path.join(__dirname, '..', file));
    const px = new Float32Array(rgb.length);
    for (let i = 0; i < rgb.length; i++) px[i] = Math.fround(rgb[i] / 127.5 - 1);
    const input = tf.tensor(px, [1, 128, 128, 3], 'float32');
    const names = ['Identity', 'Identity_1'];
    const res = model.execute({ input }, names);
    const outputs = [];
    for (let i = 0; i < names.length; i++) {
      const f = Float32Array.from(await res[i].data());
      outputs.push({ name: names[i], shape: res[i].shape, data: Buffer.from(f.buffer).toString('base64') });
    }
    const golden = { model: 'blazeface-front', tfjs: tf.version.tfjs, backend: tf.getBackend(), input: { name: 'input', shape: [1, 128, 128, 3], rgb: file }, outputs };
    fs.writeFileSync(path.join(__dirname, '..', 'golden', 'blazeface-front-' + photo + '.json'), JSON.stringify(golden) + '\n');
    const max = Math.max(...(await tf.sigmoid(tf.concat([res[0].flatten(), res[1].flatten()])).data()));
    console.log('blazeface-front', photo, 'max score', max);
  }
}

async function main() {
  const dir = process.argv[2];
  await tf.setBackend('cpu');
  await photos(dir);
  for (const [name, [lo, hi]] of Object.entries(MODELS)) {
    const { json, model } = await loadModel(dir, name);
    const nodes = json.modelTopology.node;
    const ph = nodes.find((n) => n.op === 'Placeholder');
    const shape = ph.attr.shape.shape.dim.map((d) => Math.max(1, parseInt(d.size, 10)));
    const n = shape.reduce((a, b) => a * b, 1);
    const input = tf.tensor(fill(n, lo, hi), shape, 'float32');
    const names = graphOutputs(json);
    let res = model.execute({ [ph.name]: input }, names);
    if (!Array.isArray(res)) res = [res];
    const outputs = [];
    for (let i = 0; i < names.length; i++) {
      const data = await res[i].data();
      const f = Float32Array.from(data);
      outputs.push({ name: names[i], shape: res[i].shape, data: Buffer.from(f.buffer).toString('base64') });
    }
    const golden = { model: name, tfjs: tf.version.tfjs, backend: tf.getBackend(), input: { name: ph.name, shape, lo, hi, seed: SEED }, outputs };
    fs.writeFileSync(path.join(__dirname, '..', 'golden', name + '.json'), JSON.stringify(golden) + '\n');
    console.log(name, names.map((nm, i) => nm + JSON.stringify(res[i].shape)).join(' '));
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
