// Data movement for the layers' backend (lib/layers/backend.ts): broadcast copies, constant
// padding, nearest-neighbour upsampling, and the random masks of the training-only layers.
// Memory-bound copies over contiguous row-major float32 tensors: plain loops with memcpy/fill
// runs, parallel over outer rows; no per-ISA variants (the compiler's copies are already at
// memory speed, and none of these does arithmetic).
#pragma once
#include <cstddef>
#include <cstdint>

#include "ops/shape.h"

namespace convkit::movement {

// out[i] = x[i mod broadcast]: NumPy broadcast of x (shape xs, right-aligned) to out_shape.
// Throws InvalidArgument naming both shapes when xs does not broadcast to out_shape.
void broadcast_to_f32(const float* x, const Shape& xs, float* out, const Shape& out_shape);

// out (shape out_shape, same rank as xs) = `value` everywhere except the box starting at
// `before[d]` on each axis, which holds x. Throws InvalidArgument unless the box fits.
void pad_f32(const float* x, const Shape& xs, const std::size_t* before, float value, float* out,
             const Shape& out_shape);

// Nearest-neighbour upsampling of NHWC by integer factors: out[n, i, j, :] = x[n, i / sh, j / sw, :].
void upsample_nearest2d_f32(const float* x, std::size_t n, std::size_t h, std::size_t w, std::size_t c,
                            std::size_t sh, std::size_t sw, float* out);

// Bilinear upsampling of NHWC by integer factors with half-pixel centres (TF2 resize 'bilinear',
// Keras UpSampling2D(interpolation='bilinear')): output pixel i samples input coordinate
// f = clamp((i + 0.5)/s − 0.5, 0, len − 1) along each axis, mixing ⌊f⌋ and min(⌊f⌋ + 1, len − 1)
// with weights 1 − (f − ⌊f⌋) and f − ⌊f⌋.
void upsample_bilinear2d_f32(const float* x, std::size_t n, std::size_t h, std::size_t w, std::size_t c,
                             std::size_t sh, std::size_t sw, float* out);
// Its adjoint (the gradient): dx[tap] += weight·dy[output pixel] over the same taps; dx is
// overwritten (zeroed first).
void upsample_bilinear2d_adjoint_f32(const float* dy, std::size_t n, std::size_t h, std::size_t w, std::size_t c,
                                     std::size_t sh, std::size_t sw, float* dx);

// The random streams of lib/random's Rng (xoshiro128**, Blackman & Vigna 2018), continued in
// native code so that a mask drawn here is bit-for-bit the one the JavaScript generator would
// draw: state[0..3] is the generator's state (read, advanced, written back). One uniform
// u = (⌊next/32⌋·2^26 + ⌊next/64⌋) / 2^53 per element, exactly as Rng.random().
struct RngState {
  std::uint32_t s[4];
};
// out[i] = u_i >= rate ? keep : 0 (inverted-dropout mask, keep = 1/(1 − rate)).
void random_mask(RngState& st, double rate, float keep, float* out, std::size_t n);
// out[i] = lo + (hi − lo)·u_i (Rng.uniform).
void random_uniform(RngState& st, double lo, double hi, float* out, std::size_t n);

}  // namespace convkit::movement
