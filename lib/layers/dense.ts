/** Dense: y = activation(x·W + b), W of shape [inputDim, units], applied over the last axis. */
import type { Tensor } from '../tensor/index.js';
import { type Activation, type ActivationIdentifier, getActivation } from '../activations/index.js';
import type { Initializer, SerializedInitializer } from '../initializers/index.js';
import { getRegularizer, type Regularizer, serializeRegularizer, type SerializedRegularizer } from '../regularizers/index.js';
import { checkRank, type CallArgs, Layer, type LayerArgs, type LayerConfig, type LayerInput, lastDim, singleInput, singleShape } from './layer.js';
import { registerLayer } from './registry.js';
import { checkPositiveInt, type Shape } from './shape.js';
import type { LayerVariable } from './variable.js';
import { initConfig } from './config_util.js';
import * as K from './backend.js';

export interface DenseArgs extends LayerArgs {
  units: number;
  activation?: ActivationIdentifier | null;
  useBias?: boolean;
  kernelInitializer?: Initializer | string | SerializedInitializer;
  biasInitializer?: Initializer | string | SerializedInitializer;
  kernelRegularizer?: Regularizer | string | SerializedRegularizer | null;
  biasRegularizer?: Regularizer | string | SerializedRegularizer | null;
}

export class Dense extends Layer {
  static override readonly className: string = 'Dense';
  readonly units: number;
  readonly activation: Activation;
  readonly useBias: boolean;
  private readonly args: DenseArgs;
  kernel: LayerVariable | null = null;
  bias: LayerVariable | null = null;

  constructor(args: DenseArgs) {
    super(args);
    this.units = checkPositiveInt(args?.units, `Dense '${this.name}': units`);
    this.activation = getActivation(args.activation, `Dense '${this.name}': activation`);
    this.useBias = args.useBias ?? true;
    this.args = args;
  }

  override build(inputShape: Shape | Shape[]): void {
    const s = singleShape(this, inputShape);
    checkRank(s, { min: 2 });
    const inDim = lastDim(s, this);
    this.kernel = this.addWeight('kernel', [inDim, this.units], this.args.kernelInitializer, {
      regularizer: getRegularizer(this.args.kernelRegularizer, 'kernelRegularizer'),
    });
    if (this.useBias) {
      this.bias = this.addWeight('bias', [this.units], this.args.biasInitializer, {
        defaultInitializer: 'zeros',
        regularizer: getRegularizer(this.args.biasRegularizer, 'biasRegularizer'),
      });
    }
    super.build(inputShape);
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = singleShape(this, inputShape);
    checkRank(s, { min: 2 });
    return [...s.slice(0, -1), this.units];
  }

  override call(inputs: LayerInput, _kwargs: CallArgs): Tensor {
    const x = singleInput(inputs);
    const inDim = this.kernel!.shape[0]!;
    if (x.shape[x.shape.length - 1] !== inDim) {
      throw new RangeError(`expected the last input dimension to be ${inDim}, got ${x.shape[x.shape.length - 1]}`);
    }
    // Rank > 2: fold the leading axes into rows of one GEMM, then unfold.
    const lead = x.shape.slice(0, -1);
    const x2 = x.shape.length === 2 ? x : K.reshape(x, [-1, inDim]);
    let y = K.matMul(x2, this.kernel!.read());
    if (this.bias) y = K.add(y, this.bias.read());
    if (x.shape.length !== 2) y = K.reshape(y, [...lead, this.units]);
    return this.activation.apply(y);
  }

  override getConfig(): LayerConfig {
    return {
      ...super.getConfig(),
      units: this.units,
      activation: this.activation.name,
      useBias: this.useBias,
      ...initConfig(this.args, ['kernelInitializer', 'glorotUniform'], ['biasInitializer', 'zeros']),
      kernelRegularizer: serializeRegularizer(getRegularizer(this.args.kernelRegularizer)),
      biasRegularizer: serializeRegularizer(getRegularizer(this.args.biasRegularizer)),
    };
  }
}
registerLayer(Dense);
