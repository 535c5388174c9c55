// macs.mjs: multiply-accumulates per inference, from conv/matmul output shapes.
import * as L from './lib.mjs';
await L.initBackend(process.env.FACECAL_BACKEND || 'wasm');
for (const name of process.argv.slice(2)) {
  const m = await L.loadModel(name);
  const nodes = m.artifacts.modelTopology.node;
  const wshape = Object.fromEntries(m.artifacts.weightSpecs.map((w) => [w.name, w.shape]));
  const convs = nodes.filter((n) => /Conv2D|DepthwiseConv|MatMul/.test(n.op));
  const shape = m.inputs[0].shape.map((d) => (d > 0 ? d : 1));
  const x = L.tf.zeros(shape);
  const outs = m.execute(x, convs.map((n) => n.name));
  let macs = 0;
  convs.forEach((n, i) => {
    const o = outs[i].shape; const w = wshape[n.input[1]];
    if (!w) return;
    if (/Depthwise/.test(n.op)) macs += o[1] * o[2] * o[3] * w[0] * w[1];
    else if (/MatMul/.test(n.op)) macs += o.slice(0, -1).reduce((a, b) => a * b, 1) * w[0] * w[1];
    else macs += o[1] * o[2] * o[3] * w[0] * w[1] * w[2];
  });
  console.log(name, shape.join('x'), (macs / 1e6).toFixed(0), 'M MACs', convs.length, 'conv/matmul nodes');
}
