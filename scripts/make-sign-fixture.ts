/**
 * Makes test/fixtures/sign.jpg: coffee.jpg (CC0) enlarged to 1600×1067, with a two-line
 * sign rendered by sharp (SVG text, DejaVu Sans Bold) on a panel rotated by 4°, composited
 * at a known place. Run with `npx tsx scripts/make-sign-fixture.ts`; the output is committed
 * so the OCR test does not depend on the fonts of the machine that runs it.
 * The panel's region (for the test): see SIGN_PANEL in test/analysis.test.ts.
 */
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const fixtures = (name: string) => fileURLToPath(new URL(`../test/fixtures/${name}`, import.meta.url));
const panel = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="600" height="230">
  <rect x="4" y="4" width="592" height="222" rx="18" fill="#2f4a3a" stroke="#d9c9a3" stroke-width="8"/>
  <text x="300" y="100" text-anchor="middle" font-family="DejaVu Sans" font-weight="bold" font-size="68" fill="#f4ecd8">FRESH BREAD</text>
  <text x="300" y="185" text-anchor="middle" font-family="DejaVu Sans" font-weight="bold" font-size="56" fill="#f4ecd8">OPEN DAILY</text>
</svg>`);
const rotated = await sharp(panel)
  .rotate(-4, { background: { r: 0, g: 0, b: 0, alpha: 0 } })
  .png()
  .toBuffer({ resolveWithObject: true });
await sharp(fixtures('coffee.jpg'))
  .resize(1600, 1067, { fit: 'fill' })
  .composite([{ input: rotated.data, left: 60, top: 60 }])
  .jpeg({ quality: 85, mozjpeg: true })
  .toFile(fixtures('sign.jpg'));
console.log(`panel at left 60, top 60, ${rotated.info.width}×${rotated.info.height} of 1600×1067`);
