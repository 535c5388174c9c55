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

async function main() {
  const dir = process.argv[2];
  await tf.setBackend('cpu');
  for (const [name, [lo, hi]] of Object.entries(MODELS)) {
    const json = JSON.parse(fs.readFileSync(path.join(dir, name + '.json'), 'utf8'));
    const bins = [];
    for (const g of json.weightsManifest) for (const p of g.paths) bins.push(fs.readFileSync(path.join(dir, p)));
    const buf = Buffer.concat(bins);
    const weightData = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
    const weightSpecs = [].concat(...json.weightsManifest.map((g) => g.weights));
    const model = await tf.loadGraphModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData }));
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
