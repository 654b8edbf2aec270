/** Gradient of the fused training-mode batch norm (native backward; statistics outputs get no gradient). */
import { registerGradient } from '../registry.js';
import { batchNormTrainGrad } from '../native_grad.js';

registerGradient('BatchNormTrain', ([dy], { inputs, outputs, attrs, needsGrad }) => {
  const hasGamma = attrs['hasGamma'] as boolean;
  const hasBeta = attrs['hasBeta'] as boolean;
  const x = inputs[0]!;
  const gamma = hasGamma ? inputs[1]! : null;
  const gi = hasGamma ? 1 : -1;
  const bi = hasBeta ? (hasGamma ? 2 : 1) : -1;
  const [dx, dg, db] = batchNormTrainGrad(x, dy!, outputs[1]!, outputs[3]!, gamma, {
    dx: needsGrad[0]!,
    dgamma: gi >= 0 && needsGrad[gi]!,
    dbeta: bi >= 0 && needsGrad[bi]!,
  });
  const res: (typeof dx)[] = [dx];
  if (hasGamma) res.push(dg);
  if (hasBeta) res.push(db);
  return res;
});
