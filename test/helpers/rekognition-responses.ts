import type {
  DetectFacesResponse,
  DetectLabelsResponse,
  DetectModerationLabelsResponse,
  DetectTextResponse,
  RecognizeCelebritiesResponse,
} from '@aws-sdk/client-rekognition';

/**
 * Response documents shaped as the Amazon Rekognition API reference shows them (field names,
 * nesting, float precision, extra fields we ignore), with values of our own: a street photo
 * with two people, a dog and a café sign. Some entries sit just under our thresholds, stick
 * out of the image or lack a box, so the mapping tests can see them dropped or clamped.
 */

export const DETECT_LABELS: DetectLabelsResponse = {
  Labels: [
    {
      Name: 'Person',
      Confidence: 99.51897430419922,
      Instances: [
        {
          BoundingBox: {
            Width: 0.21436220407485962,
            Height: 0.8140276074409485,
            Left: 0.6120567321777344,
            Top: 0.1527438759803772,
          },
          Confidence: 99.51897430419922,
          DominantColors: [
            {
              Red: 61,
              Green: 57,
              Blue: 53,
              HexCode: '3D3935',
              CSSColor: 'darkslategrey',
              SimplifiedColor: 'black',
              PixelPercent: 38.5,
            },
          ],
        },
        {
          // A person cut by the left edge: Rekognition's box starts outside the image.
          BoundingBox: {
            Width: 0.1283947080373764,
            Height: 0.6009857058525085,
            Left: -0.0217361431568861,
            Top: 0.3310374617576599,
          },
          Confidence: 87.03662109375,
          DominantColors: [],
        },
      ],
      Parents: [],
      Aliases: [{ Name: 'Human' }],
      Categories: [{ Name: 'Person Description' }],
    },
    {
      Name: 'Dog',
      Confidence: 96.2145767211914,
      Instances: [
        {
          BoundingBox: {
            Width: 0.18803386390209198,
            Height: 0.2540268003940582,
            Left: 0.3914419412612915,
            Top: 0.7049785852432251,
          },
          Confidence: 96.2145767211914,
          DominantColors: [],
        },
      ],
      Parents: [{ Name: 'Canine' }, { Name: 'Mammal' }, { Name: 'Animal' }, { Name: 'Pet' }],
      Aliases: [{ Name: 'Puppy' }],
      Categories: [{ Name: 'Animals and Pets' }],
    },
    {
      Name: 'Animal',
      Confidence: 96.2145767211914,
      Instances: [],
      Parents: [],
      Aliases: [],
      Categories: [{ Name: 'Animals and Pets' }],
    },
    {
      Name: 'Car',
      Confidence: 62.48052215576172,
      Instances: [
        {
          // Too unsure of this one to call it an object (objects ≥ 35).
          BoundingBox: {
            Width: 0.0913267731666565,
            Height: 0.0805191770195961,
            Left: 0.0112346112728118,
            Top: 0.5017735958099365,
          },
          Confidence: 34.94999694824219,
          DominantColors: [],
        },
        // An instance without a box says nothing about where: not an object.
        { Confidence: 61.7, DominantColors: [] },
      ],
      Parents: [{ Name: 'Vehicle' }, { Name: 'Transportation' }],
      Aliases: [{ Name: 'Automobile' }],
      Categories: [{ Name: 'Vehicles and Automotive' }],
    },
    {
      Name: 'Outdoors',
      // Returned because we ask for ≥ 35 (objects), under the labels' 55.
      Confidence: 54.94999694824219,
      Instances: [],
      Parents: [],
      Aliases: [],
      Categories: [{ Name: 'Nature and Outdoors' }],
    },
  ],
  LabelModelVersion: '3.0',
};

export const DETECT_FACES: DetectFacesResponse = {
  FaceDetails: [
    {
      BoundingBox: {
        Width: 0.0789712518453598,
        Height: 0.1792355626821518,
        Left: 0.6801087856292725,
        Top: 0.2011784315109253,
      },
      AgeRange: { Low: 26, High: 34 },
      Smile: { Value: true, Confidence: 97.26651000976562 },
      Eyeglasses: { Value: false, Confidence: 99.93708801269531 },
      Sunglasses: { Value: false, Confidence: 99.9887466430664 },
      Gender: { Value: 'Female', Confidence: 99.86495208740234 },
      Beard: { Value: false, Confidence: 98.1185531616211 },
      Mustache: { Value: false, Confidence: 99.55703735351562 },
      EyesOpen: { Value: true, Confidence: 98.40715789794922 },
      MouthOpen: { Value: true, Confidence: 90.67413330078125 },
      Emotions: [
        { Type: 'CALM', Confidence: 3.0810546875 },
        { Type: 'HAPPY', Confidence: 95.18229675292969 },
        { Type: 'SURPRISED', Confidence: 6.4697265625 },
        { Type: 'UNKNOWN', Confidence: 0.0213623046875 },
        { Type: 'FEAR', Confidence: 5.868530273437 },
        { Type: 'CONFUSED', Confidence: 0.25634765625 },
        { Type: 'SAD', Confidence: 2.13623046875 },
        { Type: 'DISGUSTED', Confidence: 0.09918212890625 },
        { Type: 'ANGRY', Confidence: 0.06103515625 },
      ],
      Landmarks: [
        { Type: 'eyeLeft', X: 0.7044463753700256, Y: 0.2720780074596405 },
        { Type: 'eyeRight', X: 0.7376930713653564, Y: 0.2737058103084564 },
        { Type: 'mouthLeft', X: 0.7085148692131042, Y: 0.3372436463832855 },
        { Type: 'mouthRight', X: 0.7357577085494995, Y: 0.3385891616344452 },
        { Type: 'nose', X: 0.7233893871307373, Y: 0.3054232597351074 },
      ],
      Pose: { Roll: -1.6573121547698975, Yaw: 3.7389395236968994, Pitch: 6.197718620300293 },
      Quality: { Brightness: 78.37564849853516, Sharpness: 92.22801208496094 },
      Confidence: 99.99911499023438,
      FaceOccluded: { Value: false, Confidence: 99.8912124633789 },
      EyeDirection: { Yaw: -2.7466318607330322, Pitch: -5.062448024749756, Confidence: 99.8213119506836 },
    },
    {
      // The second person's face, half out of the picture on the left; no age or gender given.
      BoundingBox: {
        Width: 0.0601285845041275,
        Height: 0.1338207870721817,
        Left: -0.028174980789423,
        Top: 0.3622758984565735,
      },
      Emotions: [{ Type: 'UNKNOWN', Confidence: 99.1943359375 }],
      Landmarks: [],
      Pose: { Roll: 4.0167856216430664, Yaw: -61.48402786254883, Pitch: 2.4811112880706787 },
      Quality: { Brightness: 64.2097396850586, Sharpness: 38.89601135253906 },
      Confidence: 93.48763275146484,
    },
    {
      // A dog's muzzle at 42%: below the faces threshold of 50.
      BoundingBox: {
        Width: 0.0433164834976196,
        Height: 0.0602874755859375,
        Left: 0.4721329212188721,
        Top: 0.7395321726799011,
      },
      AgeRange: { Low: 0, High: 3 },
      Gender: { Value: 'Male', Confidence: 55.21240234375 },
      Emotions: [],
      Confidence: 42.03186798095703,
    },
  ],
};

export const DETECT_MODERATION_LABELS: DetectModerationLabelsResponse = {
  ModerationLabels: [
    {
      Confidence: 71.84062194824219,
      Name: 'Female Swimwear or Underwear',
      ParentName: 'Swimwear or Underwear',
      TaxonomyLevel: 2,
    },
    {
      Confidence: 88.40390014648438,
      Name: 'Swimwear or Underwear',
      ParentName: '',
      TaxonomyLevel: 1,
    },
  ],
  ModerationModelVersion: '7.0',
  ContentTypes: [],
};

const polygon = (left: number, top: number, width: number, height: number) => [
  { X: left, Y: top },
  { X: left + width, Y: top },
  { X: left + width, Y: top + height },
  { X: left, Y: top + height },
];

export const DETECT_TEXT: DetectTextResponse = {
  TextDetections: [
    {
      DetectedText: 'OPEN DAILY 9-5',
      Type: 'LINE',
      Id: 0,
      Confidence: 99.21630859375,
      Geometry: {
        BoundingBox: { Width: 0.2473984807729721, Height: 0.0430234916508197, Left: 0.08107, Top: 0.09853 },
        Polygon: polygon(0.08107, 0.09853, 0.2473984807729721, 0.0430234916508197),
      },
    },
    {
      // Running off the right edge of the image.
      DetectedText: 'Fresh  Coffee',
      Type: 'LINE',
      Id: 1,
      Confidence: 96.3365478515625,
      Geometry: {
        BoundingBox: {
          Width: 0.1617431640625,
          Height: 0.0581298828125,
          Left: 0.8603515625,
          Top: 0.15087890625,
        },
        Polygon: polygon(0.8603515625, 0.15087890625, 0.1617431640625, 0.0581298828125),
      },
    },
    {
      // Brickwork read as text: under the 70 a line needs.
      DetectedText: 'II:',
      Type: 'LINE',
      Id: 2,
      Confidence: 41.22419357299805,
      Geometry: {
        BoundingBox: { Width: 0.0351, Height: 0.0312, Left: 0.5012, Top: 0.4522 },
        Polygon: polygon(0.5012, 0.4522, 0.0351, 0.0312),
      },
    },
    {
      DetectedText: 'OPEN',
      Type: 'WORD',
      Id: 3,
      ParentId: 0,
      Confidence: 99.6337890625,
      Geometry: {
        BoundingBox: { Width: 0.0721, Height: 0.0430234916508197, Left: 0.08107, Top: 0.09853 },
        Polygon: polygon(0.08107, 0.09853, 0.0721, 0.0430234916508197),
      },
    },
    {
      DetectedText: 'DAILY',
      Type: 'WORD',
      Id: 4,
      ParentId: 0,
      Confidence: 99.3419189453125,
      Geometry: {
        BoundingBox: { Width: 0.0912, Height: 0.0430234916508197, Left: 0.1594, Top: 0.09853 },
        Polygon: polygon(0.1594, 0.09853, 0.0912, 0.0430234916508197),
      },
    },
    {
      DetectedText: '9-5',
      Type: 'WORD',
      Id: 5,
      ParentId: 0,
      Confidence: 98.6732177734375,
      Geometry: {
        BoundingBox: { Width: 0.0601, Height: 0.0430234916508197, Left: 0.2683, Top: 0.09853 },
        Polygon: polygon(0.2683, 0.09853, 0.0601, 0.0430234916508197),
      },
    },
  ],
  TextModelVersion: '3.0',
};

export const RECOGNIZE_CELEBRITIES: RecognizeCelebritiesResponse = {
  CelebrityFaces: [
    {
      Urls: [],
      Name: 'Eileen Collins',
      Id: '1SK7cR8M',
      Face: {
        BoundingBox: {
          Width: 0.0789712518453598,
          Height: 0.1792355626821518,
          Left: 0.6801087856292725,
          Top: 0.2011784315109253,
        },
        Confidence: 99.99911499023438,
        Landmarks: [{ Type: 'nose', X: 0.7233893871307373, Y: 0.3054232597351074 }],
        Pose: { Roll: -1.6573121547698975, Yaw: 3.7389395236968994, Pitch: 6.197718620300293 },
        Quality: { Brightness: 78.37564849853516, Sharpness: 92.22801208496094 },
        Emotions: [{ Type: 'HAPPY', Confidence: 95.18229675292969 }],
        Smile: { Value: true, Confidence: 97.26651000976562 },
      },
      MatchConfidence: 98.96484375,
      KnownGender: { Type: 'Female' },
    },
  ],
  UnrecognizedFaces: [
    {
      BoundingBox: {
        Width: 0.0601285845041275,
        Height: 0.1338207870721817,
        Left: -0.028174980789423,
        Top: 0.3622758984565735,
      },
      Confidence: 93.48763275146484,
    },
  ],
  OrientationCorrection: 'ROTATE_0',
};
