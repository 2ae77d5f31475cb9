import {
  AccessDeniedException,
  DetectFacesCommand,
  DetectLabelsCommand,
  DetectModerationLabelsCommand,
  DetectTextCommand,
  ImageTooLargeException,
  InternalServerError,
  InvalidImageFormatException,
  InvalidParameterException,
  ProvisionedThroughputExceededException,
  RecognizeCelebritiesCommand,
  RekognitionClient,
  ThrottlingException,
} from '@aws-sdk/client-rekognition';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  DETECT_FACES,
  DETECT_LABELS,
  DETECT_MODERATION_LABELS,
  DETECT_TEXT,
  RECOGNIZE_CELEBRITIES,
} from '../../../test/helpers/rekognition-responses.ts';
import type { AnalysisInput } from '../../ports/analyzer.ts';
import { RekognitionAnalyzer } from './rekognition-analyzer.ts';
import {
  RekognitionAccessError,
  RekognitionError,
  RekognitionImageError,
  RekognitionThrottledError,
} from './rekognition-errors.ts';

const inputOf = (jpeg = Buffer.from('a jpeg of the street')): AnalysisInput => ({
  pixels: { data: Buffer.alloc(3), width: 1, height: 1 },
  jpeg,
  textImage: async () => {
    throw new Error('Rekognition reads the JPEG, never the OCR image');
  },
});

describe('Class: RekognitionAnalyzer', () => {
  let rekognition: AwsClientStub<RekognitionClient>;
  let analyzer: RekognitionAnalyzer;
  let input: AnalysisInput;

  beforeEach(() => {
    const client = new RekognitionClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    });
    rekognition = mockClient(client);
    // Registered first: a catch-all registered after the specific ones would override them.
    rekognition.onAnyCommand().rejects(new Error('unexpected command'));
    rekognition.on(DetectLabelsCommand).resolves(DETECT_LABELS);
    rekognition.on(DetectFacesCommand).resolves(DETECT_FACES);
    rekognition.on(DetectModerationLabelsCommand).resolves(DETECT_MODERATION_LABELS);
    rekognition.on(DetectTextCommand).resolves(DETECT_TEXT);
    rekognition.on(RecognizeCelebritiesCommand).resolves(RECOGNIZE_CELEBRITIES);
    analyzer = new RekognitionAnalyzer({ client });
    input = inputOf();
  });

  const requestOf = (command: Parameters<typeof rekognition.commandCalls>[0]) => {
    const calls = rekognition.commandCalls(command);
    expect(calls).toHaveLength(1);
    return calls[0]?.args[0].input as Record<string, unknown> & { Image: { Bytes: unknown } };
  };

  describe('Method: analyze', () => {
    it('maps every label instance with a box to an object, strongest first, clamped, ≥ 35', async () => {
      expect(await analyzer.analyze('objects', input)).toEqual([
        {
          name: 'Person',
          confidence: 99.5,
          boundingBox: { left: 0.6121, top: 0.1527, width: 0.2144, height: 0.814 },
        },
        {
          name: 'Dog',
          confidence: 96.2,
          boundingBox: { left: 0.3914, top: 0.705, width: 0.188, height: 0.254 },
        },
        {
          name: 'Person',
          confidence: 87,
          boundingBox: { left: 0, top: 0.331, width: 0.1067, height: 0.601 },
        },
      ]);
      expect(requestOf(DetectLabelsCommand)).toEqual({
        Image: { Bytes: input.jpeg },
        Features: ['GENERAL_LABELS'],
        MinConfidence: 35,
      });
      expect(requestOf(DetectLabelsCommand).Image.Bytes).toBe(input.jpeg);
    });

    it('maps faces with age range, gender and emotions strongest first, dropping UNKNOWN and faces < 50', async () => {
      expect(await analyzer.analyze('faces', input)).toEqual([
        {
          boundingBox: { left: 0.6801, top: 0.2012, width: 0.079, height: 0.1792 },
          confidence: 100,
          ageRange: { low: 26, high: 34 },
          gender: { value: 'Female', confidence: 99.9 },
          emotions: [
            { type: 'HAPPY', confidence: 95.2 },
            { type: 'SURPRISED', confidence: 6.5 },
            { type: 'FEAR', confidence: 5.9 },
            { type: 'CALM', confidence: 3.1 },
            { type: 'SAD', confidence: 2.1 },
            { type: 'CONFUSED', confidence: 0.3 },
            { type: 'DISGUSTED', confidence: 0.1 },
            { type: 'ANGRY', confidence: 0.1 },
          ],
        },
        {
          boundingBox: { left: 0, top: 0.3623, width: 0.032, height: 0.1338 },
          confidence: 93.5,
          ageRange: null,
          gender: null,
          emotions: [],
        },
      ]);
      expect(requestOf(DetectFacesCommand)).toEqual({ Image: { Bytes: input.jpeg }, Attributes: ['ALL'] });
      expect(requestOf(DetectFacesCommand).Image.Bytes).toBe(input.jpeg);
    });

    it('maps moderation labels strongest first with their parents, and the top level as classes', async () => {
      expect(await analyzer.analyze('moderation', input)).toEqual({
        labels: [
          { name: 'Swimwear or Underwear', confidence: 88.4, parentName: '' },
          { name: 'Female Swimwear or Underwear', confidence: 71.8, parentName: 'Swimwear or Underwear' },
        ],
        classes: { 'Swimwear or Underwear': 88.4 },
      });
      expect(requestOf(DetectModerationLabelsCommand)).toEqual({
        Image: { Bytes: input.jpeg },
        MinConfidence: 50,
      });
    });

    it('keeps moderation labels under the threshold out, should Rekognition return any', async () => {
      rekognition.on(DetectModerationLabelsCommand).resolves({
        ModerationLabels: [{ Name: 'Suggestive', ParentName: '', Confidence: 49.9 }],
      });
      expect(await analyzer.analyze('moderation', input)).toEqual({ labels: [], classes: {} });
    });

    it('keeps text lines ≥ 70 with collapsed spaces and clamped boxes, never the words', async () => {
      expect(await analyzer.analyze('text', input)).toEqual([
        {
          text: 'OPEN DAILY 9-5',
          confidence: 99.2,
          boundingBox: { left: 0.0811, top: 0.0985, width: 0.2474, height: 0.043 },
        },
        {
          text: 'Fresh Coffee',
          confidence: 96.3,
          boundingBox: { left: 0.8604, top: 0.1509, width: 0.1396, height: 0.0581 },
        },
      ]);
      expect(requestOf(DetectTextCommand)).toEqual({ Image: { Bytes: input.jpeg } });
    });

    it('maps empty responses to empty results', async () => {
      rekognition.on(DetectLabelsCommand).resolves({});
      rekognition.on(DetectFacesCommand).resolves({});
      rekognition.on(DetectModerationLabelsCommand).resolves({});
      rekognition.on(DetectTextCommand).resolves({});
      expect(await analyzer.analyze('objects', input)).toEqual([]);
      expect(await analyzer.analyze('faces', input)).toEqual([]);
      expect(await analyzer.analyze('moderation', input)).toEqual({ labels: [], classes: {} });
      expect(await analyzer.analyze('text', input)).toEqual([]);
    });
  });

  describe('Method: labels', () => {
    it("returns DetectLabels' labels ≥ 55 with their parents, strongest first", async () => {
      expect(await analyzer.labels({}, input)).toEqual([
        { name: 'Person', confidence: 99.5, parents: [] },
        { name: 'Animal', confidence: 96.2, parents: [] },
        { name: 'Dog', confidence: 96.2, parents: ['Canine', 'Mammal', 'Animal', 'Pet'] },
        { name: 'Car', confidence: 62.5, parents: ['Vehicle', 'Transportation'] },
      ]);
    });

    it('sends an image to DetectLabels once for both objects and labels, and again for another image', async () => {
      const objects = await analyzer.analyze('objects', input);
      const labels = await analyzer.labels({ objects }, input);
      expect(labels.map((l) => l.name)).toContain('Dog');
      expect(rekognition.commandCalls(DetectLabelsCommand)).toHaveLength(1);

      const other = inputOf(Buffer.from('another jpeg'));
      await analyzer.labels({}, other);
      const calls = rekognition.commandCalls(DetectLabelsCommand);
      expect(calls).toHaveLength(2);
      expect(calls[1]?.args[0].input.Image?.Bytes).toBe(other.jpeg);
    });

    it('shares one call between objects and labels asked at the same time', async () => {
      await Promise.all([analyzer.analyze('objects', input), analyzer.labels({}, input)]);
      expect(rekognition.commandCalls(DetectLabelsCommand)).toHaveLength(1);
    });

    it('asks again after a failed call instead of remembering the failure', async () => {
      rekognition
        .on(DetectLabelsCommand)
        .rejectsOnce(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }))
        .resolves(DETECT_LABELS);
      await expect(analyzer.analyze('objects', input)).rejects.toThrow(RekognitionThrottledError);
      expect((await analyzer.labels({}, input)).length).toBe(4);
      expect(rekognition.commandCalls(DetectLabelsCommand)).toHaveLength(2);
    });
  });

  describe('Method: celebrities', () => {
    it('returns recognised people with their match confidence, not unrecognised faces', async () => {
      expect(await analyzer.celebrities(input)).toEqual([{ name: 'Eileen Collins', confidence: 99 }]);
      expect(requestOf(RecognizeCelebritiesCommand)).toEqual({ Image: { Bytes: input.jpeg } });
    });
  });

  describe('Method: modelName', () => {
    it('names the Rekognition operation behind each analysis', async () => {
      expect(await analyzer.modelName('objects')).toBe('Amazon Rekognition DetectLabels');
      expect(await analyzer.modelName('faces')).toBe('Amazon Rekognition DetectFaces');
      expect(await analyzer.modelName('moderation')).toBe('Amazon Rekognition DetectModerationLabels');
      expect(await analyzer.modelName('text')).toBe('Amazon Rekognition DetectText');
    });
  });

  describe('Option: minConfidence', () => {
    it('applies its own thresholds, asking DetectLabels for the lower of objects and labels', async () => {
      const client = new RekognitionClient({ region: 'us-east-1' });
      const stub = mockClient(client);
      stub.onAnyCommand().rejects(new Error('unexpected command'));
      stub.on(DetectLabelsCommand).resolves(DETECT_LABELS);
      stub.on(DetectModerationLabelsCommand).resolves(DETECT_MODERATION_LABELS);
      stub.on(DetectTextCommand).resolves(DETECT_TEXT);
      stub.on(DetectFacesCommand).resolves(DETECT_FACES);
      const strict = new RekognitionAnalyzer({
        client,
        minConfidence: { objects: 90, labels: 97, faces: 95, moderation: 80, text: 99 },
      });
      expect((await strict.analyze('objects', input)).map((o) => o.confidence)).toEqual([99.5, 96.2]);
      expect((await strict.labels({}, input)).map((l) => l.name)).toEqual(['Person']);
      expect(stub.commandCalls(DetectLabelsCommand)[0]?.args[0].input.MinConfidence).toBe(90);
      expect((await strict.analyze('faces', input)).map((f) => f.confidence)).toEqual([100]);
      expect((await strict.analyze('moderation', input)).labels.map((l) => l.name)).toEqual([
        'Swimwear or Underwear',
      ]);
      expect(stub.commandCalls(DetectModerationLabelsCommand)[0]?.args[0].input.MinConfidence).toBe(80);
      expect((await strict.analyze('text', input)).map((l) => l.text)).toEqual(['OPEN DAILY 9-5']);
    });

    it('rejects a threshold outside 0–100 or of another type, naming it', () => {
      const client = new RekognitionClient({ region: 'us-east-1' });
      expect(() => new RekognitionAnalyzer({ client, minConfidence: { text: 101 } })).toThrow(
        'Expected a number from 0 to 100 for minConfidence.text but received 101 of type number',
      );
      expect(
        () => new RekognitionAnalyzer({ client, minConfidence: { faces: '50' as unknown as number } }),
      ).toThrow('Expected a number from 0 to 100 for minConfidence.faces but received 50 of type string');
    });
  });

  describe('Errors', () => {
    const cases = [
      {
        error: new ImageTooLargeException({ message: 'Image size is too large.', $metadata: {} }),
        type: RekognitionImageError,
        message:
          'Rekognition DetectText refused the image as too large (ImageTooLargeException; it takes at most 5 MB of bytes): Image size is too large.',
        retryable: false,
      },
      {
        error: new InvalidImageFormatException({
          message: 'Request has invalid image format',
          $metadata: {},
        }),
        type: RekognitionImageError,
        message:
          'Rekognition DetectText could not read the image (InvalidImageFormatException; it takes JPEG or PNG): Request has invalid image format',
        retryable: false,
      },
      {
        error: new InvalidParameterException({ message: 'Request has invalid parameters', $metadata: {} }),
        type: RekognitionImageError,
        message:
          'Rekognition DetectText rejected the request (InvalidParameterException): Request has invalid parameters',
        retryable: false,
      },
      {
        error: new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }),
        type: RekognitionThrottledError,
        message:
          "Rekognition DetectText was throttled (ThrottlingException): the account's Rekognition rate or quota is exhausted, try again later: Rate exceeded",
        retryable: true,
      },
      {
        error: new ProvisionedThroughputExceededException({
          message: 'Provisioned rate exceeded',
          $metadata: {},
        }),
        type: RekognitionThrottledError,
        message:
          "Rekognition DetectText was throttled (ProvisionedThroughputExceededException): the account's Rekognition rate or quota is exhausted, try again later: Provisioned rate exceeded",
        retryable: true,
      },
      {
        error: new AccessDeniedException({ message: 'User is not authorized', $metadata: {} }),
        type: RekognitionAccessError,
        message:
          'Rekognition DetectText was denied (AccessDeniedException): the role needs rekognition:DetectText: User is not authorized',
        retryable: false,
      },
      {
        error: new InternalServerError({ message: 'Internal server error', $metadata: {} }),
        type: RekognitionError,
        message: 'Rekognition DetectText failed (InternalServerError): Internal server error',
        retryable: true,
      },
      {
        error: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), { code: 'ECONNREFUSED' }),
        type: RekognitionError,
        message: 'Rekognition DetectText failed (Error): connect ECONNREFUSED 127.0.0.1:443',
        retryable: false,
      },
    ];

    it.each(cases)(
      'translates $error.name into $type.name, keeping the cause',
      async ({ error, type, message, retryable }) => {
        rekognition.on(DetectTextCommand).rejects(error);
        const thrown = await analyzer.analyze('text', input).catch((e: unknown) => e);
        expect(thrown).toBeInstanceOf(type);
        expect(thrown).toMatchObject({ name: type.name, message, operation: 'DetectText', retryable });
        expect((thrown as Error).cause).toBe(error);
      },
    );

    it('names the operation that failed for labels and celebrities too', async () => {
      rekognition
        .on(DetectLabelsCommand)
        .rejects(new ThrottlingException({ message: 'slow', $metadata: {} }));
      rekognition
        .on(RecognizeCelebritiesCommand)
        .rejects(new AccessDeniedException({ message: 'no', $metadata: {} }));
      await expect(analyzer.labels({}, input)).rejects.toThrow('Rekognition DetectLabels was throttled');
      await expect(analyzer.celebrities(input)).rejects.toThrow(
        'the role needs rekognition:RecognizeCelebrities',
      );
    });

    it('refuses an image over 5 MB without sending it', async () => {
      const big = inputOf(Buffer.alloc(5 * 1024 * 1024 + 1));
      await expect(analyzer.analyze('faces', big)).rejects.toThrow(
        new RekognitionImageError(
          'DetectFaces',
          'Rekognition DetectFaces takes at most 5242880 bytes of image but was given 5242881',
        ),
      );
      expect(rekognition.commandCalls(DetectFacesCommand)).toHaveLength(0);
    });
  });
});
