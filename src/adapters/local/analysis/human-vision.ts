import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import {
  type DetectedObject,
  type EmotionType,
  type FaceDetail,
  percent,
  relativeBox,
} from '../../../core/analysis.ts';
import type { RawImage } from '../../../ports/analyzer.ts';
import { objectName } from './coco-labels.ts';
import { pixelTensor, tfjsReady, WASM_DIR } from './tfjs-runtime.ts';

const require = createRequire(import.meta.url);

// Human's package "exports" only name its tfjs-node build; the WebAssembly build is reached by
// its file path next to it, and its models folder sits beside dist/.
const HUMAN_DIST = dirname(require.resolve('@vladmandic/human'));
const MODELS_URL = `file://${join(HUMAN_DIST, '..', 'models')}/`;

/** Below these scores (0–1) a detection is dropped; chosen on the test photos, see README. */
const OBJECT_MIN_SCORE = 0.35;
const FACE_MIN_SCORE = 0.5;

interface HumanBox {
  score: number;
  boxRaw: [number, number, number, number];
}
interface HumanObject extends HumanBox {
  label: string;
}
interface HumanFace extends HumanBox {
  boxScore: number;
  faceScore: number;
  age?: number;
  gender?: string;
  genderScore?: number;
  emotion?: Array<{ score: number; emotion: string }>;
}
interface HumanResult {
  object: HumanObject[];
  face: HumanFace[];
  error: string | null;
}
interface HumanInstance {
  version: string;
  load(): Promise<void>;
  detect(input: unknown): Promise<HumanResult>;
}

const EMOTIONS: Record<string, EmotionType> = {
  angry: 'ANGRY',
  disgust: 'DISGUSTED',
  fear: 'FEAR',
  happy: 'HAPPY',
  sad: 'SAD',
  surprise: 'SURPRISED',
  neutral: 'CALM',
};

const BASE_CONFIG = {
  backend: 'wasm',
  wasmPath: WASM_DIR,
  modelBasePath: MODELS_URL,
  debug: false,
  warmup: 'none',
  // Still photos, not video: no frame-to-frame caching or skipping.
  cacheSensitivity: 0,
  skipAllowed: false,
  filter: { enabled: false },
  body: { enabled: false },
  hand: { enabled: false },
  gesture: { enabled: false },
  segmentation: { enabled: false },
  face: { enabled: false },
  object: { enabled: false },
};

async function createHuman(config: object): Promise<HumanInstance> {
  await tfjsReady();
  const { Human } = require(join(HUMAN_DIST, 'human.node-wasm.js')) as {
    Human: new (config: object) => HumanInstance;
  };
  const human = new Human({ ...BASE_CONFIG, ...config });
  await human.load();
  return human;
}

/**
 * Pads the image to a square: the detectors resize their input to a square, and squashing a
 * wide photo distorts shapes enough to turn a cat into a dog. With `side` set, the square is
 * also scaled to that size here (by libvips, antialiased) instead of by the model's own
 * bilinear resize in WebAssembly. Returns where the image sits.
 */
async function letterbox(image: RawImage, side = Math.max(image.width, image.height)) {
  const scale = side / Math.max(image.width, image.height);
  const width = Math.max(1, Math.round(image.width * scale));
  const height = Math.max(1, Math.round(image.height * scale));
  const left = Math.floor((side - width) / 2);
  const top = Math.floor((side - height) / 2);
  let pipeline = sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } });
  if (scale !== 1) pipeline = pipeline.resize(width, height, { fit: 'fill' });
  const data = await pipeline
    .extend({
      left,
      top,
      right: side - width - left,
      bottom: side - height - top,
      background: { r: 128, g: 128, b: 128 },
    })
    .raw()
    .toBuffer();
  const toImageBox = ([x, y, w, h]: [number, number, number, number]) =>
    relativeBox(x * side - left, y * side - top, w * side, h * side, width, height);
  return { data, side, toImageBox };
}

type Letterboxed = ReturnType<typeof letterbox>;
// Faces look at the image padded at full size; objects at it padded and scaled to 512, the
// detector's input. Each is made once per image, whichever analysis asks first.
const letterboxed = new WeakMap<RawImage, Map<number | 'full', Letterboxed>>();

async function detect(human: HumanInstance, image: RawImage, side?: number) {
  let sizes = letterboxed.get(image);
  if (!sizes) {
    sizes = new Map();
    letterboxed.set(image, sizes);
  }
  let pending = sizes.get(side ?? 'full');
  if (!pending) {
    pending = letterbox(image, side);
    sizes.set(side ?? 'full', pending);
  }
  const boxed = await pending;
  const tensor = pixelTensor(boxed.data, boxed.side, boxed.side);
  try {
    const result = await human.detect(tensor);
    if (result.error) throw new Error(`detection failed: ${result.error}`);
    return { result, toImageBox: boxed.toImageBox };
  } finally {
    tensor.dispose();
  }
}

/**
 * CenterNet's input is 512×512: handing it that size saves the model a resize of a
 * 1024×1024 tensor (~50 ms of a 200 ms detection, bench/analysis.ts).
 */
const OBJECTS_INPUT_SIDE = 512;

/** Objects of the 80 COCO classes, with CenterNet (MobileNetV3) shipped inside Human. */
export class ObjectDetector {
  private constructor(private readonly human: HumanInstance) {}

  static async load(): Promise<ObjectDetector> {
    return new ObjectDetector(
      await createHuman({ object: { enabled: true, minConfidence: OBJECT_MIN_SCORE, maxDetected: 20 } }),
    );
  }

  get modelName(): string {
    return `centernet-mobilenetv3 COCO-80 (@vladmandic/human ${this.human.version})`;
  }

  async detect(image: RawImage): Promise<DetectedObject[]> {
    const { result, toImageBox } = await detect(this.human, image, OBJECTS_INPUT_SIDE);
    return result.object
      .filter((o) => o.score >= OBJECT_MIN_SCORE)
      .map((o) => ({
        name: objectName(o.label),
        confidence: percent(o.score),
        boundingBox: toImageBox(o.boxRaw),
      }))
      .sort((a, b) => b.confidence - a.confidence);
  }
}

/** Faces with BlazeFace, confirmed by the face mesh, then age/gender (FaceRes) and emotion. */
export class FaceAnalyzer {
  private constructor(private readonly human: HumanInstance) {}

  static async load(): Promise<FaceAnalyzer> {
    return new FaceAnalyzer(
      await createHuman({
        face: {
          enabled: true,
          detector: { rotation: false, maxDetected: 50, minConfidence: FACE_MIN_SCORE, return: false },
          // The mesh is what rejects animal and texture "faces" the box detector accepts.
          mesh: { enabled: true },
          iris: { enabled: false },
          attention: { enabled: false },
          description: { enabled: true },
          emotion: { enabled: true, minConfidence: 0.1 },
          antispoof: { enabled: false },
          liveness: { enabled: false },
        },
      }),
    );
  }

  get modelName(): string {
    return `blazeface+facemesh+faceres+emotion (@vladmandic/human ${this.human.version})`;
  }

  async detect(image: RawImage): Promise<FaceDetail[]> {
    const { result, toImageBox } = await detect(this.human, image);
    return result.face
      .filter((f) => f.boxScore >= FACE_MIN_SCORE && f.faceScore >= FACE_MIN_SCORE)
      .map((f) => ({
        boundingBox: toImageBox(f.boxRaw),
        confidence: percent(f.score),
        ageRange: f.age ? { low: Math.max(0, Math.floor(f.age - 5)), high: Math.ceil(f.age + 5) } : null,
        gender:
          f.gender === 'male' || f.gender === 'female'
            ? {
                value: f.gender === 'male' ? 'Male' : 'Female',
                // genderScore is the distance from a coin toss, 0–1: the winning class's probability is 0.5 + score/2.
                confidence: percent(0.5 + (f.genderScore ?? 0) / 2),
              }
            : null,
        emotions: (f.emotion ?? [])
          .filter((e) => EMOTIONS[e.emotion])
          .map((e) => ({ type: EMOTIONS[e.emotion] as EmotionType, confidence: percent(e.score) })),
      }));
  }
}
