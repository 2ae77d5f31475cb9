import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createWorker, OEM, type Worker } from 'tesseract.js';
import { percent, relativeBox, type TextDetection } from '../../../core/analysis.ts';
import type { EncodedImage } from '../../../ports/analyzer.ts';
import { packageVersion } from './package-version.ts';

const require = createRequire(import.meta.url);

/** The LSTM "best_int" English model shipped in @tesseract.js-data/eng: accurate and small. */
const LANG_DIR = join(dirname(require.resolve('@tesseract.js-data/eng')), '4.0.0_best_int');

/**
 * Lines Tesseract is less sure of than this (0–100) are dropped: on photos without text it
 * reads texture as short garbage lines in the 0–60 range, while printed text scores 75+.
 */
const TEXT_MIN_CONFIDENCE = 70;

interface Line {
  text: string;
  confidence: number;
  bbox: { x0: number; y0: number; x1: number; y1: number };
}

/** Text lines with tesseract.js (Tesseract compiled to WebAssembly), English. */
export class TesseractText {
  private worker: Promise<Worker> | undefined;

  private constructor(readonly modelName: string) {}

  static async load(): Promise<TesseractText> {
    const version = await packageVersion(require.resolve('tesseract.js'), 'tesseract.js');
    const text = new TesseractText(`tesseract.js ${version} eng 4.0.0_best_int (LSTM)`);
    await text.started();
    return text;
  }

  /** The Tesseract worker thread, (re)started on demand: one that failed is not reused. */
  private started(): Promise<Worker> {
    this.worker ??= createWorker('eng', OEM.LSTM_ONLY, {
      langPath: LANG_DIR,
      gzip: true,
      // Never write a traineddata cache into the working directory, never fetch one.
      cacheMethod: 'none',
      errorHandler: () => {},
    }).catch((error: unknown) => {
      this.worker = undefined;
      throw error;
    });
    return this.worker;
  }

  async recognize(image: EncodedImage): Promise<TextDetection[]> {
    const worker = await this.started();
    try {
      const { data } = await worker.recognize(image.png, {}, { blocks: true, text: false });
      const lines: Line[] = (data.blocks ?? []).flatMap((block) =>
        block.paragraphs.flatMap((paragraph) => paragraph.lines),
      );
      return lines
        .map((line) => ({ ...line, text: line.text.replace(/\s+/g, ' ').trim() }))
        .filter((line) => line.confidence >= TEXT_MIN_CONFIDENCE && /[\p{L}\p{N}]{2}/u.test(line.text))
        .map((line) => ({
          text: line.text,
          confidence: percent(line.confidence / 100),
          boundingBox: relativeBox(
            line.bbox.x0,
            line.bbox.y0,
            line.bbox.x1 - line.bbox.x0,
            line.bbox.y1 - line.bbox.y0,
            image.width,
            image.height,
          ),
        }));
    } catch (error) {
      await worker.terminate().catch(() => {});
      this.worker = undefined;
      throw error;
    }
  }

  async close(): Promise<void> {
    const worker = await this.worker?.catch(() => undefined);
    this.worker = undefined;
    await worker?.terminate();
  }
}
