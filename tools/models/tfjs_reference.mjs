// Runs a TensorFlow.js graph model with TensorFlow.js itself (pure JavaScript CPU backend)
// and writes what its ONNX conversion (tfjs_to_onnx.py) must reproduce.
//   node tfjs_reference.mjs MODEL.json INPUT.rgb OUT_DIR OUTPUT...
// INPUT.rgb: the model's input picture, S×S RGB bytes (S: the model's input size), fed as
// values 0..255. Writes OUT_DIR/<output name with '/' as '_'>.f32: each output as raw
// little-endian float32 in the graph's own layout (NHWC), and OUT_DIR/shapes.json.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadGraphModel } from '@tensorflow/tfjs-converter';

const [modelPath, inputPath, outDir, ...outputs] = process.argv.slice(2);
if (!modelPath || !inputPath || !outDir || outputs.length === 0) {
  console.error('usage: node tfjs_reference.mjs MODEL.json INPUT.rgb OUT_DIR OUTPUT...');
  process.exit(2);
}
const json = JSON.parse(fs.readFileSync(modelPath, 'utf8'));
const folder = path.dirname(modelPath);
const shards = json.weightsManifest.flatMap((g) => g.paths.map((p) => fs.readFileSync(path.join(folder, p))));
const weights = Buffer.concat(shards);
const artifacts = {
  modelTopology: json.modelTopology,
  weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
  weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
  format: json.format, generatedBy: json.generatedBy, convertedBy: json.convertedBy, signature: json.signature,
};
await tf.setBackend('cpu');
const model = await loadGraphModel(tf.io.fromMemory(artifacts));
const size = Number(Object.values(json.signature.inputs)[0].tensorShape.dim[1].size);
const rgb = fs.readFileSync(inputPath);
if (rgb.length !== size * size * 3) {
  console.error(`tfjs_reference: ${inputPath} has ${rgb.length} bytes, not ${size}×${size}×3`);
  process.exit(1);
}
const input = tf.tensor4d(Float32Array.from(rgb), [1, size, size, 3]);
const results = model.execute(input, outputs);
fs.mkdirSync(outDir, { recursive: true });
const shapes = {};
for (const [i, name] of outputs.entries()) {
  const tensor = Array.isArray(results) ? results[i] : results;
  const data = tensor.dataSync();
  fs.writeFileSync(path.join(outDir, `${name.replaceAll('/', '_')}.f32`), Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  shapes[name] = tensor.shape;
}
fs.writeFileSync(path.join(outDir, 'shapes.json'), JSON.stringify(shapes) + '\n');
console.log(`tfjs_reference: wrote ${outputs.join(', ')} to ${outDir}`);
