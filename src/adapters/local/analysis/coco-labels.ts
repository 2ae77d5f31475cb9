import type { AnalysisResults, LabelDetail } from '../../../core/analysis.ts';

/**
 * Rekognition-style names and parent categories for the 80 COCO classes the object detector
 * knows. A detected object yields its own label plus every parent, so "cat" is found by
 * label=Cat, label=Pet and label=Animal.
 */
const COCO: Record<string, string> = {};
const PARENTS: Record<string, string[]> = {};
const category = (parents: string[], classes: Record<string, string>) => {
  for (const [coco, name] of Object.entries(classes)) {
    COCO[coco] = name;
    PARENTS[name] = parents;
  }
};
category([], { person: 'Person' });
category(['Vehicle', 'Transportation'], {
  bicycle: 'Bicycle',
  car: 'Car',
  motorcycle: 'Motorcycle',
  airplane: 'Airplane',
  bus: 'Bus',
  train: 'Train',
  truck: 'Truck',
  boat: 'Boat',
});
category(['Road Sign'], { 'traffic light': 'Traffic Light', 'stop sign': 'Stop Sign' });
category(['Urban'], { 'fire hydrant': 'Fire Hydrant', 'parking meter': 'Parking Meter', bench: 'Bench' });
category(['Animal'], {
  bird: 'Bird',
  horse: 'Horse',
  sheep: 'Sheep',
  cow: 'Cow',
  elephant: 'Elephant',
  bear: 'Bear',
  zebra: 'Zebra',
  giraffe: 'Giraffe',
});
category(['Pet', 'Mammal', 'Animal'], { cat: 'Cat', dog: 'Dog' });
category(['Accessories'], {
  backpack: 'Backpack',
  umbrella: 'Umbrella',
  handbag: 'Handbag',
  tie: 'Tie',
  suitcase: 'Suitcase',
});
category(['Sport'], {
  frisbee: 'Frisbee',
  skis: 'Skiing',
  snowboard: 'Snowboard',
  'sports ball': 'Ball',
  kite: 'Kite',
  'baseball bat': 'Baseball Bat',
  'baseball glove': 'Baseball Glove',
  skateboard: 'Skateboard',
  surfboard: 'Surfboard',
  'tennis racket': 'Tennis Racket',
});
category(['Tableware'], {
  bottle: 'Bottle',
  'wine glass': 'Glass',
  cup: 'Cup',
  fork: 'Fork',
  knife: 'Knife',
  spoon: 'Spoon',
  bowl: 'Bowl',
});
category(['Food'], {
  banana: 'Banana',
  apple: 'Apple',
  sandwich: 'Sandwich',
  orange: 'Orange',
  broccoli: 'Broccoli',
  carrot: 'Carrot',
  'hot dog': 'Hot Dog',
  pizza: 'Pizza',
  donut: 'Donut',
  cake: 'Cake',
});
category(['Furniture'], {
  chair: 'Chair',
  couch: 'Couch',
  bed: 'Bed',
  'dining table': 'Dining Table',
  toilet: 'Toilet',
});
category(['Plant'], { 'potted plant': 'Potted Plant' });
category(['Electronics'], {
  tv: 'TV',
  laptop: 'Laptop',
  mouse: 'Mouse',
  remote: 'Remote Control',
  keyboard: 'Keyboard',
  'cell phone': 'Mobile Phone',
});
category(['Appliance'], {
  microwave: 'Microwave',
  oven: 'Oven',
  toaster: 'Toaster',
  sink: 'Sink',
  refrigerator: 'Refrigerator',
  'hair drier': 'Hair Dryer',
});
category([], {
  book: 'Book',
  clock: 'Clock',
  vase: 'Vase',
  scissors: 'Scissors',
  'teddy bear': 'Teddy Bear',
  toothbrush: 'Toothbrush',
});

/** The Rekognition-style name for a COCO class ("cell phone" → "Mobile Phone"). */
export function objectName(cocoClass: string): string {
  return COCO[cocoClass] ?? titleCase(cocoClass);
}

function titleCase(text: string): string {
  return text.replace(/\b\w/g, (c) => c.toUpperCase());
}

/** Moderation-model classes that describe the kind of picture rather than its safety. */
const STYLE_LABELS: Record<string, { name: string; parents: string[] }> = {
  Drawing: { name: 'Drawing', parents: ['Art'] },
  Hentai: { name: 'Illustration', parents: ['Art'] },
};

/**
 * Below this (0–100) a style class of the moderation model does not become a label: the
 * model calls some photos (a rocket launch at night) "Drawing" at 70%.
 */
const STYLE_LABEL_MIN_CONFIDENCE = 85;

/**
 * Image-level labels derived from what the analyses found: each object and its categories,
 * "Person" (and "Face") from faces, "Text" from OCR, "Drawing"/"Illustration" from the
 * moderation model's style classes. A label's confidence is the best evidence for it.
 */
export function deriveLabels(found: Partial<AnalysisResults>): LabelDetail[] {
  const labels = new Map<string, LabelDetail>();
  const add = (name: string, confidence: number, parents: string[]) => {
    const existing = labels.get(name);
    if (!existing || existing.confidence < confidence) labels.set(name, { name, confidence, parents });
    // Each parent's own parents are the rest of the chain (Cat → Pet → Mammal → Animal).
    const [parent, ...grandparents] = parents;
    if (parent) add(parent, confidence, grandparents);
  };
  for (const object of found.objects ?? []) add(object.name, object.confidence, PARENTS[object.name] ?? []);
  for (const face of found.faces ?? []) {
    add('Face', face.confidence, ['Person']);
  }
  const lines = found.text ?? [];
  if (lines.length > 0) add('Text', Math.max(...lines.map((l) => l.confidence)), []);
  for (const [cls, score] of Object.entries(found.moderation?.classes ?? {})) {
    const style = STYLE_LABELS[cls];
    if (style && score >= STYLE_LABEL_MIN_CONFIDENCE) add(style.name, score, style.parents);
  }
  return [...labels.values()].sort((a, b) => b.confidence - a.confidence || a.name.localeCompare(b.name));
}
