import type { Image } from '../client/index.ts';
import { h } from './dom.ts';
import { formatPercent } from './format.ts';

export const BOX_KINDS = ['face', 'object', 'text'] as const;
export type BoxKind = (typeof BOX_KINDS)[number];

interface Box {
  kind: BoxKind;
  /** Shown on the box. */
  label: string;
  /** Read by screen readers. */
  description: string;
  area: { left: number; top: number; width: number; height: number };
}

type Analysis = NonNullable<Image['analysis']>;
type Face = Analysis['faceDetails'][number];

function faceDescription(face: Face): string {
  const details = [
    face.gender ? face.gender.value.toLowerCase() : null,
    face.ageRange ? `age ${face.ageRange.low}–${face.ageRange.high}` : null,
    face.emotions[0] ? face.emotions[0].type.toLowerCase() : null,
  ].filter(Boolean);
  return `Face, ${formatPercent(face.confidence)}${details.length ? ` (${details.join(', ')})` : ''}`;
}

/** Every box the analysis found, in the image's own 0–1 coordinates. */
export function boxesOf(analysis: Analysis): Box[] {
  return [
    ...analysis.faceDetails.map((face) => ({
      kind: 'face' as const,
      label: 'Face',
      description: faceDescription(face),
      area: face.boundingBox,
    })),
    ...analysis.objects.map((object) => ({
      kind: 'object' as const,
      label: object.name,
      description: `${object.name}, ${formatPercent(object.confidence)}`,
      area: object.boundingBox,
    })),
    ...analysis.text.map((line) => ({
      kind: 'text' as const,
      label: line.text,
      description: `Text “${line.text}”, ${formatPercent(line.confidence)}`,
      area: line.boundingBox,
    })),
  ];
}

const clamp = (value: number) => Math.min(1, Math.max(0, value));

/**
 * Draws the boxes in `layer`, a box laid exactly over the picture: positions are percentages
 * of it, so they follow the picture at any size without being redrawn.
 */
export function drawBoxes(layer: HTMLElement, boxes: readonly Box[]): void {
  layer.replaceChildren(
    ...boxes.map((box) => {
      const element = h(
        'div',
        { class: `box box-${box.kind}`, role: 'img', 'aria-label': box.description, title: box.description },
        h('span', { class: 'box-label', 'aria-hidden': 'true' }, box.label),
      );
      const left = clamp(box.area.left);
      const top = clamp(box.area.top);
      element.style.left = `${left * 100}%`;
      element.style.top = `${top * 100}%`;
      element.style.width = `${(clamp(box.area.left + box.area.width) - left) * 100}%`;
      element.style.height = `${(clamp(box.area.top + box.area.height) - top) * 100}%`;
      return element;
    }),
  );
}
