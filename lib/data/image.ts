/**
 * Decoding PNG/JPEG files into float pixels and resizing them, with maintained pure-JS codecs (pngjs,
 * jpeg-js) so no native image library is needed. Pixels come out channels-last in [0, 1].
 */
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { DatasetError } from './errors.js';

export interface FloatImage {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  /** HWC, row-major, values in [0, 1]. */
  readonly data: Float32Array;
}

export type ImageFormat = 'png' | 'jpeg';

/** By magic number: PNG 89 50 4E 47 (RFC 2083), JPEG FF D8 FF (JFIF/Exif SOI marker). */
export function sniffImageFormat(buf: Uint8Array): ImageFormat | undefined {
  if (buf.length >= 8 && buf[0] === 0x89 && buf[1] === 0x50 && buf[2] === 0x4e && buf[3] === 0x47) return 'png';
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return 'jpeg';
  return undefined;
}

/** Limits against decompression bombs: a 16-megapixel image is far beyond what a CNN input needs. */
const MAX_PIXELS = 16 * 1024 * 1024;

/**
 * Decodes to `channels` (1 = grey by ITU-R BT.601 luma 0.299 R + 0.587 G + 0.114 B, 3 = RGB), alpha
 * composited over black (transparent pixels count as background, which is what MNIST-style data expects).
 */
export function decodeImage(buf: Uint8Array, channels: 1 | 3, file = '<image>'): FloatImage {
  const fmt = sniffImageFormat(buf);
  let width: number;
  let height: number;
  let rgba: Uint8Array;
  try {
    if (fmt === 'png') {
      const png = PNG.sync.read(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength));
      ({ width, height } = png);
      rgba = png.data;
    } else if (fmt === 'jpeg') {
      const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_PIXELS / 1e6, maxMemoryUsageInMB: 512 });
      ({ width, height } = img);
      rgba = img.data;
    } else {
      const head = [...buf.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
      throw new DatasetError(file, 'a PNG or JPEG image', `${buf.length} bytes starting ${head || '(empty)'}`);
    }
  } catch (e) {
    if (e instanceof DatasetError) throw e;
    throw new DatasetError(file, `a valid ${fmt === 'png' ? 'PNG' : 'JPEG'} image`, `a damaged file (${(e as Error).message})`, { cause: e });
  }
  if (width * height > MAX_PIXELS) throw new DatasetError(file, `at most ${MAX_PIXELS} pixels`, `${width}×${height}`);
  const n = width * height;
  const data = new Float32Array(n * channels);
  for (let i = 0; i < n; i++) {
    const a = rgba[4 * i + 3]! / 255;
    const r = (rgba[4 * i]! / 255) * a;
    const g = (rgba[4 * i + 1]! / 255) * a;
    const b = (rgba[4 * i + 2]! / 255) * a;
    if (channels === 1) data[i] = 0.299 * r + 0.587 * g + 0.114 * b;
    else {
      data[3 * i] = r;
      data[3 * i + 1] = g;
      data[3 * i + 2] = b;
    }
  }
  return { width, height, channels, data };
}

/**
 * Bilinear resize with half-pixel centres (the convention of TF2 `tf.image.resize` and OpenCV
 * INTER_LINEAR): output pixel (x, y) samples the source at ((x + 0.5)·sx − 0.5, (y + 0.5)·sy − 0.5).
 */
export function resizeBilinear(img: FloatImage, width: number, height: number): FloatImage {
  if (img.width === width && img.height === height) return img;
  const c = img.channels;
  const out = new Float32Array(width * height * c);
  const sx = img.width / width;
  const sy = img.height / height;
  for (let y = 0; y < height; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), img.height - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, img.height - 1);
    const wy = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), img.width - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, img.width - 1);
      const wx = fx - x0;
      for (let k = 0; k < c; k++) {
        const p00 = img.data[(y0 * img.width + x0) * c + k]!;
        const p01 = img.data[(y0 * img.width + x1) * c + k]!;
        const p10 = img.data[(y1 * img.width + x0) * c + k]!;
        const p11 = img.data[(y1 * img.width + x1) * c + k]!;
        out[(y * width + x) * c + k] = (1 - wy) * ((1 - wx) * p00 + wx * p01) + wy * ((1 - wx) * p10 + wx * p11);
      }
    }
  }
  return { width, height, channels: c, data: out };
}

/** Decode + resize in one step, as the image-folder reader and `convkit predict` need. */
export function loadImageAs(buf: Uint8Array, size: { width: number; height: number; channels: 1 | 3 }, file?: string): FloatImage {
  return resizeBilinear(decodeImage(buf, size.channels, file), size.width, size.height);
}

/** Encodes HWC [0, 1] pixels as an 8-bit PNG (grey or RGB); used by tests and the PNG plot. */
export function encodePng(img: FloatImage): Buffer {
  const png = new PNG({ width: img.width, height: img.height });
  const n = img.width * img.height;
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 3; k++) {
      const v = img.channels === 1 ? img.data[i]! : img.data[i * img.channels + k]!;
      png.data[4 * i + k] = Math.round(Math.min(Math.max(v, 0), 1) * 255);
    }
    png.data[4 * i + 3] = 255;
  }
  return PNG.sync.write(png);
}

/** Encodes HWC [0, 1] RGB/grey pixels as a baseline JPEG (quality 0..100). */
export function encodeJpeg(img: FloatImage, quality = 90): Buffer {
  const n = img.width * img.height;
  const data = Buffer.alloc(4 * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 3; k++) {
      const v = img.channels === 1 ? img.data[i]! : img.data[i * img.channels + k]!;
      data[4 * i + k] = Math.round(Math.min(Math.max(v, 0), 1) * 255);
    }
    data[4 * i + 3] = 255;
  }
  return jpeg.encode({ data, width: img.width, height: img.height }, quality).data;
}
