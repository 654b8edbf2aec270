// The model and one fixed batch the training-step measurements share (step-profile.mjs,
// train-step-best.mjs): a seeded zoo model compiled with Adam and categorical cross-entropy,
// x ~ N(0, 1) of `batch` samples, y one-hot on class i mod classes.
export function trainingBatch(ck, which, batch) {
  ck.setSeed(1);
  const m = ck.zoo[which]();
  const shape = m.inputs[0].shape.slice(1);
  const classes = m.outputs[0].shape.at(-1);
  const x = ck.randomNormal([batch, ...shape]);
  const yv = new Float32Array(batch * classes);
  for (let i = 0; i < batch; i++) yv[i * classes + (i % classes)] = 1;
  const y = ck.tensor(yv, [batch, classes]);
  m.compile({ optimizer: 'adam', loss: 'categorical_crossentropy' });
  return { m, x, y };
}
